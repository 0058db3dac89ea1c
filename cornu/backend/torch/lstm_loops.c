/* The loops of Keras 2's LSTM recurrence on the CPU: per step one matrix product (the BLAS
 * gemm the engine links) and one pass over the cells for everything elementwise, instead of
 * a dozen engine ops per step, each with its dispatch cost.
 *
 * Built by `lstm_loops.py` once per floating point type: `-DREAL=float` or `-DREAL=double`.
 * Layouts (row-major, contiguous):
 *   projected (batch, steps, 4 units): inputs @ kernel + bias, gates i, f, c, o, in time order;
 *   kernel (units, 4 units): the recurrent kernel;
 *   mask (batch, steps) bytes, or NULL: at a masked step the states stay and the output
 *     repeats the previous one (Keras 2.2.4's rule);
 *   outputs (batch, steps, units), in processing order (reversed time for go_backwards).
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef REAL
#error "REAL must be defined (float or double)"
#endif

/* A hint to fetch a cache line ahead of its use into the outer caches; nothing where the
 * compiler has no such builtin. */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch((address), 0, 2)
#else
#define PREFETCH(address) ((void)(address))
#endif

/* Fortran BLAS gemm (column-major): C = alpha op(A) op(B) + beta C. */
typedef void (*gemm_fn)(const char *, const char *, const int *, const int *, const int *,
                        const REAL *, const REAL *, const int *, const REAL *, const int *,
                        const REAL *, REAL *, const int *);

static gemm_fn gemm = 0;

void set_gemm(void *fn) { gemm = (gemm_fn)fn; }

/* MKL's packed gemm: the recurrent kernel, every step's left operand, laid out the way the
 * gemm reads it once per call instead of once per step (the gemm's own copying took about a
 * tenth of the loops' time). Optional: without it every step calls gemm. */
typedef size_t (*pack_size_fn)(const char *, const int *, const int *, const int *);
typedef void (*pack_fn)(const char *, const char *, const int *, const int *, const int *,
                        const REAL *, const REAL *, const int *, REAL *);
typedef void (*compute_fn)(const char *, const char *, const int *, const int *, const int *,
                           const REAL *, const int *, const REAL *, const int *, const REAL *,
                           REAL *, const int *);

static pack_size_fn pack_size = 0;
static pack_fn pack = 0;
static compute_fn compute = 0;

void set_packed_gemm(void *size_fn, void *pack_fn_, void *compute_fn_) {
    pack_size = (pack_size_fn)size_fn;
    pack = (pack_fn)pack_fn_;
    compute = (compute_fn)compute_fn_;
}

/* A step product's left operand op(kernel) (m x k), packed where the BLAS can. */
struct left_operand {
    const char *trans;
    const REAL *kernel;
    int m, k, ld;
    REAL *packed; /* NULL: plain gemm */
};

static struct left_operand left_operand(const char *trans, int m, int batch, int k,
                                        const REAL *kernel, int ld) {
    struct left_operand a = {trans, kernel, m, k, ld, 0};
    if (pack_size && pack && compute) {
        const REAL one = 1;
        a.packed = malloc(pack_size("A", &m, &batch, &k));
        if (a.packed) pack("A", trans, &m, &batch, &k, &one, kernel, &ld, a.packed);
    }
    return a;
}

/* c (m x n, column-major) = op(kernel) b + beta c. */
static void step_product(const struct left_operand *a, int n, const REAL *b, int ldb,
                         const REAL *beta, REAL *c, int ldc) {
    const REAL one = 1;
    if (a->packed)
        compute("P", "N", &a->m, &n, &a->k, a->packed, &a->ld, b, &ldb, beta, c, &ldc);
    else
        gemm(a->trans, "N", &a->m, &n, &a->k, &one, a->kernel, &a->ld, b, &ldb, beta, c, &ldc);
}

#if FLOAT32
/* exp within a few float32 ulps as 2^n p(r), x = n ln2 + r, written without branches or
 * library calls so that the loops calling it vectorise. Arguments are clamped to where
 * the result is a normal float; NaN stays NaN (comparisons with it are false). */
static inline REAL exp_r(REAL x) {
    x = x < -87.f ? -87.f : x;
    x = x > 88.f ? 88.f : x;
    REAL t = x * 1.44269504088896341f + 128.5f;
    int n = (int)t; /* t > 0: truncation is floor, n = round(x / ln2) + 128 */
    REAL fn = (REAL)n - 128.f;
    REAL r = x - fn * 0.693359375f + fn * 2.12194440e-4f;
    REAL p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.f;
    int32_t bits = (n - 1) << 23; /* the float 2^(n - 128): exponent field n - 128 + 127 */
    REAL scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}
#else
static inline REAL exp_r(REAL x) { return exp(x); }
#endif

static inline REAL sigmoid_r(REAL x) { return 1 / (1 + exp_r(-x)); }

/* tanh as 2 sigmoid(2x) - 1: one exp (within about 2e-7 of tanh in float32). */
static inline REAL tanh_r(REAL x) { return 2 / (1 + exp_r(-2 * x)) - 1; }

/* Keras' hard sigmoid clip(0.2 x + 0.5, 0, 1); NaN stays NaN. */
static inline REAL hard_sigmoid_r(REAL x) {
    REAL y = (REAL)0.2 * x + (REAL)0.5;
    y = y < 0 ? 0 : y;
    return y > 1 ? 1 : y;
}

/* Its slope: 0.2 where clipping leaves 0.2 x + 0.5 as it is (the ends included). */
static inline REAL hard_sigmoid_slope_r(REAL x) {
    REAL y = (REAL)0.2 * x + (REAL)0.5;
    return (y >= 0 && y <= 1) ? (REAL)0.2 : 0;
}

/* One step's cells of one sample: c updated in place, h written; with `factors` and `carried`
 * (training), what the backward pass multiplies the incoming gradients by:
 *   factors = (g i', c_prev f', i (1 - g^2), tanh(c) o'),  carried = (o (1 - tanh(c)^2), f)
 * so that dz = (dc factors[0:3], dh factors[3]) with dc = dc_next + dh carried[0], and
 * dc_prev = dc carried[1]. */
static void cells_hard(int units, const REAL *restrict x, const REAL *restrict z,
                       REAL *restrict c, REAL *restrict h, REAL *restrict factors,
                       REAL *restrict carried) {
    if (!factors) {
        for (int u = 0; u < units; ++u) {
            REAL i = hard_sigmoid_r(x[u] + z[u]);
            REAL f = hard_sigmoid_r(x[units + u] + z[units + u]);
            REAL g = tanh_r(x[2 * units + u] + z[2 * units + u]);
            REAL o = hard_sigmoid_r(x[3 * units + u] + z[3 * units + u]);
            REAL c_new = f * c[u] + i * g;
            c[u] = c_new;
            h[u] = o * tanh_r(c_new);
        }
        return;
    }
    for (int u = 0; u < units; ++u) {
        REAL zi = x[u] + z[u], zf = x[units + u] + z[units + u];
        REAL zg = x[2 * units + u] + z[2 * units + u];
        REAL zo = x[3 * units + u] + z[3 * units + u];
        REAL i = hard_sigmoid_r(zi), f = hard_sigmoid_r(zf), o = hard_sigmoid_r(zo);
        REAL g = tanh_r(zg), c_prev = c[u];
        REAL c_new = f * c_prev + i * g;
        REAL tanh_c = tanh_r(c_new);
        c[u] = c_new;
        h[u] = o * tanh_c;
        factors[u] = g * hard_sigmoid_slope_r(zi);
        factors[units + u] = c_prev * hard_sigmoid_slope_r(zf);
        factors[2 * units + u] = i * (1 - g * g);
        factors[3 * units + u] = tanh_c * hard_sigmoid_slope_r(zo);
        carried[u] = o * (1 - tanh_c * tanh_c);
        carried[units + u] = f;
    }
}

/* The same with sigmoid gates (x' = x (1 - x)). */
static void cells_sigmoid(int units, const REAL *restrict x, const REAL *restrict z,
                          REAL *restrict c, REAL *restrict h, REAL *restrict factors,
                          REAL *restrict carried) {
    if (!factors) {
        for (int u = 0; u < units; ++u) {
            REAL i = sigmoid_r(x[u] + z[u]);
            REAL f = sigmoid_r(x[units + u] + z[units + u]);
            REAL g = tanh_r(x[2 * units + u] + z[2 * units + u]);
            REAL o = sigmoid_r(x[3 * units + u] + z[3 * units + u]);
            REAL c_new = f * c[u] + i * g;
            c[u] = c_new;
            h[u] = o * tanh_r(c_new);
        }
        return;
    }
    for (int u = 0; u < units; ++u) {
        REAL i = sigmoid_r(x[u] + z[u]);
        REAL f = sigmoid_r(x[units + u] + z[units + u]);
        REAL g = tanh_r(x[2 * units + u] + z[2 * units + u]);
        REAL o = sigmoid_r(x[3 * units + u] + z[3 * units + u]);
        REAL c_prev = c[u];
        REAL c_new = f * c_prev + i * g;
        REAL tanh_c = tanh_r(c_new);
        c[u] = c_new;
        h[u] = o * tanh_c;
        factors[u] = g * i * (1 - i);
        factors[units + u] = c_prev * f * (1 - f);
        factors[2 * units + u] = i * (1 - g * g);
        factors[3 * units + u] = tanh_c * o * (1 - o);
        carried[u] = o * (1 - tanh_c * tanh_c);
        carried[units + u] = f;
    }
}

/* The samples of a batch are independent all through the recurrence: with several threads
 * each runs the whole loop over its own rows, with no synchronisation between steps. Each
 * thread's gemm then runs on one thread (BLAS' own threads would compete with ours); the
 * BLAS' thread-local setter is given by the caller, or NULL. A thread needs at least
 * MIN_ROWS samples: fewer make the gemm too narrow to pay for the thread.
 *
 * The threads are the engine's own OpenMP team where the caller gives its runtime's entry
 * points (`set_openmp`): after each of its parallel ops the team's workers wait for the next
 * one busily for a while, so threads of our own would compete with them for the cores.
 * Without them, threads of our own (pthreads). */
#define MAX_THREADS 64
#define MIN_ROWS 4

typedef int (*blas_threads_fn)(int);
static blas_threads_fn blas_threads_local = 0;

void set_blas_threads_local(void *fn) { blas_threads_local = (blas_threads_fn)fn; }

/* GNU OpenMP's `GOMP_parallel(fn, data, num_threads, flags)` (what `#pragma omp parallel`
 * compiles to; other OpenMP runtimes export it too) and `omp_get_thread_num`,
 * `omp_get_num_threads`. */
typedef void (*team_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);
typedef int (*team_int_fn)(void);
static team_parallel_fn team_parallel = 0;
static team_int_fn team_thread_num = 0, team_size = 0;

void set_openmp(void *parallel, void *thread_num, void *num_threads) {
    team_parallel = (team_parallel_fn)parallel;
    team_thread_num = (team_int_fn)thread_num;
    team_size = (team_int_fn)num_threads;
}

typedef void (*rows_fn)(const void *args, int first, int end);

struct rows_task {
    rows_fn fn;
    const void *args;
    int first, end;
};

static void *run_rows_task(void *pointer) {
    const struct rows_task *task = pointer;
    int previous = blas_threads_local ? blas_threads_local(1) : 0;
    task->fn(task->args, task->first, task->end);
    if (blas_threads_local) blas_threads_local(previous);
    return 0;
}

struct team_work {
    struct rows_task *tasks;
    int count;
};

/* One member's share of the parts: all of them where the runtime gave a smaller team than
 * asked (inside another parallel region, say). */
static void run_team_share(void *pointer) {
    const struct team_work *work = pointer;
    const int members = team_size(), member = team_thread_num();
    for (int i = member; i < work->count; i += members) run_rows_task(&work->tasks[i]);
}

/* Runs fn over the rows [0, batch) split into up to `threads` contiguous parts: on the
 * OpenMP team where there is one (`use_team`), else the first on the calling thread and the
 * others on pthreads; a part whose thread cannot be started runs on the calling thread. */
static void split_rows(rows_fn fn, const void *args, int batch, int threads, int use_team) {
    if (threads > batch / MIN_ROWS) threads = batch / MIN_ROWS;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads < 2) {
        fn(args, 0, batch);
        return;
    }
    struct rows_task tasks[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    int started[MAX_THREADS];
    for (int i = 0; i < threads; ++i) {
        tasks[i].fn = fn;
        tasks[i].args = args;
        tasks[i].first = (int)((long)batch * i / threads);
        tasks[i].end = (int)((long)batch * (i + 1) / threads);
    }
    if (use_team && team_parallel && team_thread_num && team_size) {
        struct team_work work = {tasks, threads};
        team_parallel(run_team_share, &work, (unsigned)threads, 0);
        return;
    }
    for (int i = 1; i < threads; ++i)
        started[i] = pthread_create(&ids[i], 0, run_rows_task, &tasks[i]) == 0;
    run_rows_task(&tasks[0]);
    for (int i = 1; i < threads; ++i) {
        if (started[i])
            pthread_join(ids[i], 0);
        else
            run_rows_task(&tasks[i]);
    }
}

struct forward_args {
    int steps, batch, units, hard, backwards;
    const struct left_operand *kernel;
    const REAL *projected, *h0;
    const uint8_t *mask;
    REAL *outputs, *c, *z, *factors, *carried;
};

/* The forward loop over the samples [first, end). */
static void forward_rows(const void *pointer, int first, int end) {
    const struct forward_args *a = pointer;
    const int steps = a->steps, batch = a->batch, units = a->units, rows = end - first;
    const int width = 4 * units, ld_outputs = steps * units;
    const REAL zero = 0;
    REAL *z = a->z + (long)first * width;
    for (int k = 0; k < steps; ++k) {
        const int t = a->backwards ? steps - 1 - k : k;
        const REAL *h_prev = k ? a->outputs + (long)(k - 1) * units : a->h0;
        const int ld_prev = k ? ld_outputs : units;
        /* The step's projections lie a sequence apart per sample, beyond the caches: asked
         * for now, they arrive while the product runs instead of stalling the cells. */
        for (int b = first; b < end; ++b) {
            const char *x = (const char *)(a->projected + ((long)b * steps + t) * width);
            for (long byte = 0; byte < (long)width * (long)sizeof(REAL); byte += 64)
                PREFETCH(x + byte);
        }
        /* z = h_prev @ kernel, as column-major z^T = kernel^T h_prev^T. */
        step_product(a->kernel, rows, h_prev + (long)first * ld_prev, ld_prev, &zero, z, width);
        for (int b = first; b < end; ++b) {
            const REAL *x = a->projected + ((long)b * steps + t) * width;
            REAL *h = a->outputs + (long)b * ld_outputs + (long)k * units;
            REAL *factors_b = a->factors ? a->factors + ((long)k * batch + b) * width : 0;
            REAL *carried_b = a->carried ? a->carried + ((long)k * batch + b) * 2 * units : 0;
            if (a->mask && !a->mask[(long)b * steps + t]) {
                /* The states stay: nothing flows through the gates backwards. */
                memcpy(h, h_prev + (long)b * ld_prev, units * sizeof(REAL));
                if (factors_b) {
                    for (int u = 0; u < width; ++u) factors_b[u] = 0;
                    for (int u = 0; u < units; ++u) carried_b[u] = 0;
                    for (int u = 0; u < units; ++u) carried_b[units + u] = 1;
                }
                continue;
            }
            (a->hard ? cells_hard : cells_sigmoid)(units, x, a->z + (long)b * width,
                                                   a->c + (long)b * units, h, factors_b,
                                                   carried_b);
        }
    }
}

/* The forward loop. h0, c (batch, units): the initial states, c updated in place to the
 * final cell state; z (batch, 4 units): scratch; factors (steps, batch, 4 units) and carried
 * (steps, batch, 2 units): per step in processing order, for the backward pass, or NULL
 * (inference); threads: how many threads may share the batch, use_team: whether on the
 * OpenMP team (where `set_openmp` gave one). Returns 0, or -1 when no gemm was set. */
int lstm_forward(int steps, int batch, int units, const REAL *projected, const REAL *h0,
                 REAL *outputs, REAL *c, const REAL *kernel, const uint8_t *mask, int hard,
                 int backwards, REAL *z, REAL *factors, REAL *carried, int threads,
                 int use_team) {
    if (!gemm) return -1;
    const int width = 4 * units;
    struct left_operand left = left_operand("N", width, batch, units, kernel, width);
    const struct forward_args args = {steps, batch, units, hard, backwards, &left, projected,
                                      h0, mask, outputs, c, z, factors, carried};
    split_rows(forward_rows, &args, batch, threads, use_team);
    free(left.packed);
    return 0;
}

/* One step's cells of one sample backwards: dh (with the step's output gradient d_out, if
 * any, added) and dc become the gradients of the previous states but for dh's part through
 * the recurrent kernel; dz the gradients of the step's pre-activations. */
static void cells_backward(int units, const REAL *restrict factors,
                           const REAL *restrict carried, const REAL *restrict d_out,
                           REAL *restrict dh, REAL *restrict dc, REAL *restrict dz) {
    if (d_out)
        for (int u = 0; u < units; ++u) dh[u] += d_out[u];
    for (int u = 0; u < units; ++u) {
        REAL d_c = dc[u] + dh[u] * carried[u];
        dz[u] = d_c * factors[u];
        dz[units + u] = d_c * factors[units + u];
        dz[2 * units + u] = d_c * factors[2 * units + u];
        dz[3 * units + u] = dh[u] * factors[3 * units + u];
        dc[u] = d_c * carried[units + u];
    }
}

struct backward_args {
    int steps, batch, units, backwards;
    const struct left_operand *kernel;
    const REAL *factors, *carried, *d_outputs;
    const uint8_t *mask;
    REAL *dh, *dc, *dzs, *scratch;
};

/* The backward loop over the samples [first, end). */
static void backward_rows(const void *pointer, int first, int end) {
    const struct backward_args *a = pointer;
    const int steps = a->steps, batch = a->batch, units = a->units, rows = end - first;
    const int width = 4 * units, ld_dzs = steps * width;
    const REAL one = 1, zero = 0;
    REAL *scratch = a->scratch + (long)first * units;
    for (int k = steps - 1; k >= 0; --k) {
        const int t = a->backwards ? steps - 1 - k : k;
        int any_masked = 0;
        for (int b = first; b < end; ++b) {
            REAL *dh_b = a->dh + (long)b * units;
            cells_backward(units, a->factors + ((long)k * batch + b) * width,
                           a->carried + ((long)k * batch + b) * 2 * units,
                           a->d_outputs ? a->d_outputs + ((long)b * steps + k) * units : 0,
                           dh_b, a->dc + (long)b * units, a->dzs + ((long)b * steps + k) * width);
            if (a->mask) {
                /* A masked step passed the previous output on: dh_prev gets dh itself. */
                int kept = a->mask[(long)b * steps + t];
                any_masked |= !kept;
                REAL *restrict scratch_b = a->scratch + (long)b * units;
                for (int u = 0; u < units; ++u) scratch_b[u] = kept ? 0 : dh_b[u];
            }
        }
        /* dh_prev = dz @ kernel^T (+ what masked steps pass on), as column-major
         * dh_prev^T = kernel dz^T. */
        step_product(a->kernel, rows, a->dzs + (long)first * ld_dzs + (long)k * width, ld_dzs,
                     any_masked ? &one : &zero, scratch, units);
        memcpy(a->dh + (long)first * units, scratch, (long)rows * units * sizeof(REAL));
    }
}

/* The backward loop, from the last step processed to the first. d_outputs (batch, steps,
 * units) in processing order, or NULL; dh, dc (batch, units): the final states' gradients,
 * replaced by the initial states'; dzs (batch, steps, 4 units): the projections' gradients
 * in processing order; scratch (batch, units); threads and use_team as for lstm_forward.
 * Returns 0, or -1 when no gemm was set. */
int lstm_backward(int steps, int batch, int units, const REAL *factors, const REAL *carried,
                  const REAL *kernel, const uint8_t *mask, int backwards,
                  const REAL *d_outputs, REAL *dh, REAL *dc, REAL *dzs, REAL *scratch,
                  int threads, int use_team) {
    if (!gemm) return -1;
    const int width = 4 * units;
    struct left_operand left = left_operand("T", units, batch, width, kernel, width);
    const struct backward_args args = {steps, batch, units, backwards, &left, factors, carried,
                                       d_outputs, mask, dh, dc, dzs, scratch};
    split_rows(backward_rows, &args, batch, threads, use_team);
    free(left.packed);
    return 0;
}
