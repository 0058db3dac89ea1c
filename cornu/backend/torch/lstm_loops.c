/* The loops of Keras 2's LSTM recurrence on the CPU: per step one matrix product (the BLAS
 * gemm the engine links) and one pass over the cells for everything elementwise, instead of
 * a dozen engine ops per step, each with its dispatch cost. At the end, the same for its
 * GRU (`gru_forward`, `gru_backward`).
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
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

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

#if FLOAT32
/* tanh within a few float32 ulps over the whole range, without branches (the loops calling
 * it vectorise): from |x| an odd polynomial below 0.625, where 1 - 2 / (e^2|x| + 1) would
 * cancel digits, and that above (1 from about 9 on, e^2|x| clamped by exp_r); then x's sign,
 * so that -0.0 stays -0.0 and NaN stays NaN. The polynomial was fitted to tanh's relative
 * error on [0, 0.625]. */
#define TANH_SMALL 0.625f
#define TANH_P0 -5.705773830e-03f
#define TANH_P1 2.063983493e-02f
#define TANH_P2 -5.373995379e-02f
#define TANH_P3 1.333144456e-01f
#define TANH_P4 -3.333328068e-01f

static inline REAL tanh_r(REAL x) {
    REAL a = fabsf(x), a2 = a * a;
    REAL p = TANH_P0;
    p = p * a2 + TANH_P1;
    p = p * a2 + TANH_P2;
    p = p * a2 + TANH_P3;
    p = p * a2 + TANH_P4;
    REAL small = a * a2 * p + a;
    REAL large = 1 - 2 / (exp_r(2 * a) + 1);
    /* The choice as bits (a branch would keep the loops from vectorising). */
    int32_t small_bits, large_bits, sign_bits, pick = -(int32_t)(a < TANH_SMALL);
    memcpy(&small_bits, &small, sizeof small);
    memcpy(&large_bits, &large, sizeof large);
    memcpy(&sign_bits, &x, sizeof x);
    int32_t bits = (small_bits & pick) | (large_bits & ~pick) | (sign_bits & INT32_MIN);
    REAL y;
    memcpy(&y, &bits, sizeof y);
    return y;
}
#else
static inline REAL tanh_r(REAL x) { return tanh(x); }
#endif

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

/* The loops run with denormal numbers flushed to zero, in their results and in their
 * operands, as TensorFlow (Keras 2's engine) and XLA run their CPU ops: over a long sequence
 * the gradients flowing back through the forget gates shrink step after step into the
 * denormal range, where x86 cores take a slow path on every operation (measured: the
 * backward pass of 240 steps of 32 units, 11 times slower). The thread's own mode is given
 * back when its part ends. */
#if defined(__SSE__)
#define FLUSH_DENORMALS 0x8040u /* MXCSR's flush-to-zero and denormals-are-zero bits */
static unsigned long flush_denormals(void) {
    const unsigned int previous = _mm_getcsr();
    _mm_setcsr(previous | FLUSH_DENORMALS);
    return previous;
}
static void restore_denormals(unsigned long previous) { _mm_setcsr((unsigned int)previous); }
#elif defined(__aarch64__)
#define FLUSH_DENORMALS (1ul << 24) /* FPCR's flush-to-zero bit */
static unsigned long flush_denormals(void) {
    unsigned long previous;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(previous));
    __asm__ __volatile__("msr fpcr, %0" : : "r"(previous | FLUSH_DENORMALS));
    return previous;
}
static void restore_denormals(unsigned long previous) {
    __asm__ __volatile__("msr fpcr, %0" : : "r"(previous));
}
#else
static unsigned long flush_denormals(void) { return 0; }
static void restore_denormals(unsigned long previous) { (void)previous; }
#endif

typedef void (*rows_fn)(const void *args, int first, int end);

struct rows_task {
    rows_fn fn;
    const void *args;
    int first, end;
};

static void *run_rows_task(void *pointer) {
    const struct rows_task *task = pointer;
    int previous = blas_threads_local ? blas_threads_local(1) : 0;
    const unsigned long mode = flush_denormals();
    task->fn(task->args, task->first, task->end);
    restore_denormals(mode);
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

/* How many parts split_rows makes of a batch for `threads` threads (at least 1). */
static int parts_for(int batch, int threads) {
    if (threads > batch / MIN_ROWS) threads = batch / MIN_ROWS;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    return threads < 1 ? 1 : threads;
}

/* Which of `parts` parts of a batch starts at row `first`. */
static inline int part_of(int first, int batch, int parts) {
    int part = 0;
    while (part + 1 < parts && (int)((long)batch * (part + 1) / parts) <= first) ++part;
    return part;
}

/* Runs fn over the rows [0, batch) split into up to `threads` contiguous parts: on the
 * OpenMP team where there is one (`use_team`), else the first on the calling thread and the
 * others on pthreads; a part whose thread cannot be started runs on the calling thread. */
static void split_rows(rows_fn fn, const void *args, int batch, int threads, int use_team) {
    threads = parts_for(batch, threads);
    if (threads < 2) {
        const unsigned long mode = flush_denormals();
        fn(args, 0, batch);
        restore_denormals(mode);
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
    const REAL *panels; /* the fused loops' packed kernel (FUSED), or NULL */
    /* The fused loops' own input projection (`projected` NULL): the inputs (batch, steps,
     * input_dim), their kernel packed as `panels` is, the bias (4 units) or NULL. */
    int input_dim;
    const REAL *inputs, *input_panels, *bias;
    /* Keras 2's recurrent dropout (the BLAS loops only), or mask_count 0: rec_masks
     * (mask_count, batch, units), one mask for all gates or one per gate, the same at every
     * step; masked_h (mask_count, batch, units) scratch for the masked previous outputs. */
    const REAL *rec_masks;
    int mask_count;
    REAL *masked_h;
};


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
    const REAL *panels; /* the fused loops' packed kernel (FUSED), or NULL */
    /* The fused loops' input path (`inputs` not NULL): per step also the inputs' gradients
     * (d_inputs, batch x steps x input_dim, from the input kernel's panels) and, summed
     * into one buffer per part of the batch (`sums`, parts of `sums_size`: the recurrent
     * kernel's gradient (units, 4 units), then the input kernel's (input_dim, 4 units)),
     * the outer products of the states and inputs with the step's dz. */
    int input_dim, parts;
    const REAL *inputs, *input_panels, *h0, *outputs;
    REAL *d_inputs, *sums;
    long sums_size;
    /* Recurrent dropout as in forward_args (the BLAS loops only); product (batch, units)
     * scratch for one gate's product. */
    const REAL *rec_masks;
    int mask_count;
    REAL *product;
};

/* The fused loops (float32 where the compiler targets AVX-512, or AVX2 with FMA): a step's
 * product and its cells in one pass, with a product of our own on LANES-lane vectors instead
 * of the BLAS gemm.
 *
 * Forward, per block of LANES units: the recurrent kernel's columns of those units in the four
 * gates, packed once per call as panels (units, 4 x LANES) that a step reads in order; a tile
 * of up to FORWARD_ROWS samples accumulates its 4 gate vectors per sample in registers (from the
 * bias and the step's inputs first, where the loops project them: lstm_input_forward), then
 * the cells run on the tile (from an L1 copy: on the registers the accumulators hold, the
 * cells' temporaries would spill), so the pre-activations never reach memory. Backward: the
 * step's cells first, then dh_prev = dz kernel^T on tiles of the transposed kernel, packed
 * as panels (4 units, up to TILE_VECTORS x LANES lanes); on the input path also d_inputs the
 * same way and the kernels' gradients as per-step outer products. A last block of fewer lanes
 * is padded with zeros in the panels and loaded and stored lane by lane (`lanes_t`), so any
 * number of units runs.
 *
 * Why: at Keras' sizes (32 x 128 by 128 x 512 per step) these tiles were measured faster
 * than torch's BLAS (MKL) on the same products, by 1.3x on a step's product alone, and
 * the cells read and write their operands once. */
#if FLOAT32 && (defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__)))
#include <immintrin.h>
#define FUSED 1
#define OUTER_BLOCK 48
#define ALWAYS_INLINE inline __attribute__((always_inline))

static int fused_on = 1;

/* The vector operations the fused loops are written in, on the widest registers the target
 * has, and the tiles' shapes, which the register count sets: a tile keeps its accumulators,
 * its panel vectors and one broadcast value in registers.
 *   Forward: FORWARD_ROWS samples x 4 gates. AVX-512's 32 registers: 6 x 4 + 4 + 1 = 29.
 *     AVX2's 16: 3 x 4 + 4 + 1 = 17, one panel vector read from L1 by its FMAs (measured
 *     faster than 6 samples x 2 gates in two passes, which reads h twice).
 *   Backward products: PRODUCT_ROWS samples x TILE_VECTORS blocks (the backward panels'
 *     groups): 6 x 4 + 4 + 1 = 29; 6 x 2 + 2 + 1 = 15.
 *   Outer products: OUTER_COLS x OUTER_SPANS blocks, likewise. */
#if defined(__AVX512F__)
#define LANES 16
#define FORWARD_ROWS 6
#define PRODUCT_ROWS 6
#define TILE_VECTORS 4
#define OUTER_COLS 6
#define OUTER_SPANS 4
typedef __m512 vec;
typedef __m512i ivec;
typedef __mmask16 lanes_t; /* the lanes of a vector that hold values */
#define ALL_LANES ((lanes_t)0xFFFF)
#define v_set1 _mm512_set1_ps
#define v_zero _mm512_setzero_ps
#define v_load _mm512_load_ps /* (aligned) */
#define v_add _mm512_add_ps
#define v_sub _mm512_sub_ps
#define v_mul _mm512_mul_ps
#define v_div _mm512_div_ps
#define v_max _mm512_max_ps
#define v_min _mm512_min_ps
#define v_fmadd _mm512_fmadd_ps   /* a b + c */
#define v_fnmadd _mm512_fnmadd_ps /* c - a b */
#define v_abs _mm512_abs_ps
#define v_truncate _mm512_cvttps_epi32
#define i_to_float _mm512_cvtepi32_ps
#define i_set1 _mm512_set1_epi32
#define i_sub _mm512_sub_epi32
#define i_shift_left _mm512_slli_epi32
#define i_as_float _mm512_castsi512_ps

/* The lanes of block `block` of LANES units that are units (all but in a last, partial
 * one). */
static ALWAYS_INLINE lanes_t lanes_of(int block, int units) {
    int left = units - block * LANES;
    return left >= LANES ? (lanes_t)0xFFFF : (lanes_t)((1u << left) - 1);
}

/* A vector's `lanes` from p (the others 0), and to p (the others untouched). */
static ALWAYS_INLINE vec v_load_part(lanes_t lanes, const float *p) {
    return _mm512_maskz_loadu_ps(lanes, p);
}

static ALWAYS_INLINE void v_store_part(float *p, lanes_t lanes, vec v) {
    _mm512_mask_storeu_ps(p, lanes, v);
}

/* y (non-negative) with x's sign. */
static ALWAYS_INLINE vec v_with_sign_of(vec y, vec x) {
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    return _mm512_castsi512_ps(_mm512_or_si512(
        _mm512_castps_si512(y), _mm512_and_si512(_mm512_castps_si512(x), sign)));
}

/* if_less where a < b, else otherwise (NaN compares false). */
static ALWAYS_INLINE vec v_pick_less(vec a, vec b, vec if_less, vec otherwise) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), otherwise, if_less);
}

/* value where low <= y <= high, else 0. */
static ALWAYS_INLINE vec v_within(vec y, vec low, vec high, vec value) {
    __mmask16 inside = _mm512_cmp_ps_mask(y, low, _CMP_GE_OQ) &
                       _mm512_cmp_ps_mask(y, high, _CMP_LE_OQ);
    return _mm512_maskz_mov_ps(inside, value);
}
#else
#define LANES 8
#define FORWARD_ROWS 3
#define PRODUCT_ROWS 6
#define TILE_VECTORS 2
#define OUTER_COLS 6
#define OUTER_SPANS 2
typedef __m256 vec;
typedef __m256i ivec;
typedef int lanes_t; /* how many of a vector's first lanes hold values */
#define ALL_LANES LANES
#define v_set1 _mm256_set1_ps
#define v_zero _mm256_setzero_ps
#define v_load _mm256_load_ps /* (aligned) */
#define v_add _mm256_add_ps
#define v_sub _mm256_sub_ps
#define v_mul _mm256_mul_ps
#define v_div _mm256_div_ps
#define v_max _mm256_max_ps
#define v_min _mm256_min_ps
#define v_fmadd _mm256_fmadd_ps   /* a b + c */
#define v_fnmadd _mm256_fnmadd_ps /* c - a b */
#define v_truncate _mm256_cvttps_epi32
#define i_to_float _mm256_cvtepi32_ps
#define i_set1 _mm256_set1_epi32
#define i_sub _mm256_sub_epi32
#define i_shift_left _mm256_slli_epi32
#define i_as_float _mm256_castsi256_ps

static ALWAYS_INLINE lanes_t lanes_of(int block, int units) {
    int left = units - block * LANES;
    return left >= LANES ? LANES : left;
}

/* AVX2 has no mask registers: a partial block's lanes go through vmaskmov, whole blocks
 * through plain loads and stores (vmaskmov's stores are slow on some CPUs). */
static ALWAYS_INLINE __m256i lane_mask(lanes_t lanes) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static ALWAYS_INLINE vec v_load_part(lanes_t lanes, const float *p) {
    return lanes == LANES ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, lane_mask(lanes));
}

static ALWAYS_INLINE void v_store_part(float *p, lanes_t lanes, vec v) {
    if (lanes == LANES)
        _mm256_storeu_ps(p, v);
    else
        _mm256_maskstore_ps(p, lane_mask(lanes), v);
}

static ALWAYS_INLINE vec v_abs(vec x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.f), x); }

static ALWAYS_INLINE vec v_with_sign_of(vec y, vec x) {
    return _mm256_or_ps(y, _mm256_and_ps(x, _mm256_set1_ps(-0.f)));
}

static ALWAYS_INLINE vec v_pick_less(vec a, vec b, vec if_less, vec otherwise) {
    return _mm256_blendv_ps(otherwise, if_less, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
}

static ALWAYS_INLINE vec v_within(vec y, vec low, vec high, vec value) {
    __m256 inside = _mm256_and_ps(_mm256_cmp_ps(y, low, _CMP_GE_OQ),
                                  _mm256_cmp_ps(y, high, _CMP_LE_OQ));
    return _mm256_and_ps(inside, value);
}
#endif

static ALWAYS_INLINE vec exp_v(vec x) {
    /* exp_r on LANES lanes (the same operations; max and min return their second operand
     * where either is NaN, which keeps a NaN). */
    x = v_max(v_set1(-87.f), x);
    x = v_min(v_set1(88.f), x);
    vec t = v_fmadd(x, v_set1(1.44269504088896341f), v_set1(128.5f));
    ivec n = v_truncate(t);
    vec fn = v_sub(i_to_float(n), v_set1(128.f));
    vec r = v_fnmadd(fn, v_set1(0.693359375f), x);
    r = v_fmadd(fn, v_set1(2.12194440e-4f), r);
    vec p = v_set1(1.9875691500e-4f);
    p = v_fmadd(p, r, v_set1(1.3981999507e-3f));
    p = v_fmadd(p, r, v_set1(8.3334519073e-3f));
    p = v_fmadd(p, r, v_set1(4.1665795894e-2f));
    p = v_fmadd(p, r, v_set1(1.6666665459e-1f));
    p = v_fmadd(p, r, v_set1(5.0000001201e-1f));
    p = v_add(v_fmadd(v_mul(p, r), r, r), v_set1(1.f));
    ivec bits = i_shift_left(i_sub(n, i_set1(1)), 23);
    return v_mul(p, i_as_float(bits));
}

/* tanh_r on LANES lanes. */
static ALWAYS_INLINE vec tanh_v(vec x) {
    vec a = v_abs(x), a2 = v_mul(a, a);
    vec p = v_set1(TANH_P0);
    p = v_fmadd(p, a2, v_set1(TANH_P1));
    p = v_fmadd(p, a2, v_set1(TANH_P2));
    p = v_fmadd(p, a2, v_set1(TANH_P3));
    p = v_fmadd(p, a2, v_set1(TANH_P4));
    vec small = v_fmadd(v_mul(a, a2), p, a);
    vec e = exp_v(v_add(a, a));
    vec large = v_sub(v_set1(1.f), v_div(v_set1(2.f), v_add(e, v_set1(1.f))));
    return v_with_sign_of(v_pick_less(a, v_set1(TANH_SMALL), small, large), x);
}

static ALWAYS_INLINE vec sigmoid_v(vec x) {
    return v_div(v_set1(1.f), v_add(v_set1(1.f), exp_v(v_sub(v_zero(), x))));
}

/* clip(0.2 x + 0.5, 0, 1), NaN kept (max and min as in exp_v). */
static ALWAYS_INLINE vec hard_sigmoid_v(vec x) {
    vec y = v_fmadd(v_set1(0.2f), x, v_set1(0.5f));
    y = v_max(v_zero(), y);
    return v_min(v_set1(1.f), y);
}

/* 0.2 where 0 <= 0.2 x + 0.5 <= 1, else 0. */
static ALWAYS_INLINE vec hard_sigmoid_slope_v(vec x) {
    vec y = v_fmadd(v_set1(0.2f), x, v_set1(0.5f));
    return v_within(y, v_zero(), v_set1(1.f), v_set1(0.2f));
}

/* x (1 - x): a sigmoid's slope from its value. */
static ALWAYS_INLINE vec sigmoid_slope_v(vec s) { return v_mul(s, v_sub(v_set1(1.f), s)); }

/* Forward panels of a kernel (rows, 4 units): for each block of LANES units, (rows, gate,
 * LANES lanes). */
static float *pack_forward(int rows, int units, const float *kernel) {
    const int blocks = (units + LANES - 1) / LANES, width = 4 * units;
    float *panels = aligned_alloc(64, (size_t)blocks * rows * 4 * LANES * sizeof(float));
    if (!panels) return 0;
    for (int block = 0; block < blocks; ++block)
        for (int k = 0; k < rows; ++k)
            for (int gate = 0; gate < 4; ++gate)
                for (int l = 0; l < LANES; ++l) {
                    int u = block * LANES + l;
                    panels[(((long)block * rows + k) * 4 + gate) * LANES + l] =
                        u < units ? kernel[(long)k * width + gate * units + u] : 0.f;
                }
    return panels;
}

/* How many blocks group `group` of up to TILE_VECTORS blocks has, of `blocks` in all. */
static inline int spans_of(int group, int blocks) {
    const int left = blocks - group * TILE_VECTORS;
    return left < TILE_VECTORS ? left : TILE_VECTORS;
}

/* Backward panels: the kernel transposed, for each group of up to TILE_VECTORS blocks of
 * LANES units, (4 units, the group's lanes). */
static float *pack_backward(int rows, int units, const float *kernel) {
    const int blocks = (rows + LANES - 1) / LANES, width = 4 * units;
    float *panels = aligned_alloc(64, (size_t)blocks * width * LANES * sizeof(float));
    if (!panels) return 0;
    for (int group = 0; group * TILE_VECTORS < blocks; ++group) {
        const int span = spans_of(group, blocks) * LANES;
        float *panel = panels + (long)group * TILE_VECTORS * LANES * width;
        for (int j = 0; j < width; ++j)
            for (int l = 0; l < span; ++l) {
                int u = group * TILE_VECTORS * LANES + l;
                panel[(long)j * span + l] = u < rows ? kernel[(long)u * width + j] : 0.f;
            }
    }
    return panels;
}

/* Whether sample b's step t is masked: its states stay. */
static ALWAYS_INLINE int masked(const struct forward_args *a, int b, int t) {
    return a->mask && !a->mask[(long)b * a->steps + t];
}

/* A masked sample's cells on one block of LANES units: the states stay, and nothing flows
 * through the gates backwards. */
static ALWAYS_INLINE void cells_kept(const struct forward_args *a, int b, int offset,
                                     lanes_t lanes, const float *h_prev, int k) {
    const int units = a->units;
    v_store_part(a->outputs + ((long)b * a->steps + k) * units + offset, lanes,
                 v_load_part(lanes, h_prev + offset));
    if (a->factors) {
        float *factors = a->factors + ((long)k * a->batch + b) * 4 * units + offset;
        float *carried = a->carried + ((long)k * a->batch + b) * 2 * units + offset;
        for (int gate = 0; gate < 4; ++gate)
            v_store_part(factors + gate * units, lanes, v_zero());
        v_store_part(carried, lanes, v_zero());
        v_store_part(carried + units, lanes, v_set1(1.f));
    }
}

#define CELL_ROWS 2

/* The cells of `n` (at most CELL_ROWS) samples from `first` on one block of LANES units,
 * none of them masked, from the step's products (without the projections). The samples go
 * side by side through each stage: their chains of exp, division and tanh are independent,
 * and so they overlap instead of waiting on each other's latency. */
static ALWAYS_INLINE void cells_v(const int n, const struct forward_args *a, int first,
                                  int offset, lanes_t lanes, int k, int t,
                                  vec products[][4]) {
    const int units = a->units, steps = a->steps, width = 4 * units;
    vec zi[CELL_ROWS], zf[CELL_ROWS], zg[CELL_ROWS], zo[CELL_ROWS];
    vec i[CELL_ROWS], f[CELL_ROWS], o[CELL_ROWS], g[CELL_ROWS];
    vec c_prev[CELL_ROWS], c_new[CELL_ROWS], tanh_c[CELL_ROWS];
#pragma GCC unroll 2
    for (int r = 0; r < n; ++r) {
        const int b = first + r;
        zi[r] = products[r][0];
        zf[r] = products[r][1];
        zg[r] = products[r][2];
        zo[r] = products[r][3];
        if (a->projected) {
            const float *x = a->projected + ((long)b * steps + t) * width + offset;
            zi[r] = v_add(zi[r], v_load_part(lanes, x));
            zf[r] = v_add(zf[r], v_load_part(lanes, x + units));
            zg[r] = v_add(zg[r], v_load_part(lanes, x + 2 * units));
            zo[r] = v_add(zo[r], v_load_part(lanes, x + 3 * units));
        }
        c_prev[r] = v_load_part(lanes, a->c + (long)b * units + offset);
    }
#pragma GCC unroll 2
    for (int r = 0; r < n; ++r) {
        if (a->hard) {
            i[r] = hard_sigmoid_v(zi[r]);
            f[r] = hard_sigmoid_v(zf[r]);
            o[r] = hard_sigmoid_v(zo[r]);
        } else {
            i[r] = sigmoid_v(zi[r]);
            f[r] = sigmoid_v(zf[r]);
            o[r] = sigmoid_v(zo[r]);
        }
        g[r] = tanh_v(zg[r]);
    }
#pragma GCC unroll 2
    for (int r = 0; r < n; ++r) c_new[r] = v_fmadd(f[r], c_prev[r], v_mul(i[r], g[r]));
#pragma GCC unroll 2
    for (int r = 0; r < n; ++r) tanh_c[r] = tanh_v(c_new[r]);
#pragma GCC unroll 2
    for (int r = 0; r < n; ++r) {
        const int b = first + r;
        v_store_part(a->c + (long)b * units + offset, lanes, c_new[r]);
        v_store_part(a->outputs + ((long)b * steps + k) * units + offset, lanes,
                     v_mul(o[r], tanh_c[r]));
    }
    if (!a->factors) return;
    const vec one = v_set1(1.f);
#pragma GCC unroll 2
    for (int r = 0; r < n; ++r) {
        const int b = first + r;
        float *factors = a->factors + ((long)k * a->batch + b) * width + offset;
        float *carried = a->carried + ((long)k * a->batch + b) * 2 * units + offset;
        vec si, sf, so;
        if (a->hard) {
            si = hard_sigmoid_slope_v(zi[r]);
            sf = hard_sigmoid_slope_v(zf[r]);
            so = hard_sigmoid_slope_v(zo[r]);
        } else {
            si = sigmoid_slope_v(i[r]);
            sf = sigmoid_slope_v(f[r]);
            so = sigmoid_slope_v(o[r]);
        }
        v_store_part(factors, lanes, v_mul(g[r], si));
        v_store_part(factors + units, lanes, v_mul(c_prev[r], sf));
        v_store_part(factors + 2 * units, lanes, v_mul(i[r], v_fnmadd(g[r], g[r], one)));
        v_store_part(factors + 3 * units, lanes, v_mul(tanh_c[r], so));
        v_store_part(carried, lanes, v_mul(o[r], v_fnmadd(tanh_c[r], tanh_c[r], one)));
        v_store_part(carried + units, lanes, f[r]);
    }
}

/* The cells of a tile's samples on `lanes` of a block, from their products: unmasked
 * samples CELL_ROWS at a time. */
static ALWAYS_INLINE void cells_lanes(lanes_t lanes, const struct forward_args *a, int first,
                                      int rows, int block, const float *h_prev, int ld_prev,
                                      int k, int t, vec products[][4]) {
    const int offset = block * LANES;
    for (int r = 0; r < rows;) {
        if (masked(a, first + r, t)) {
            cells_kept(a, first + r, offset, lanes, h_prev + (long)r * ld_prev, k);
            r += 1;
        } else if (r + 1 < rows && !masked(a, first + r + 1, t)) {
            cells_v(2, a, first + r, offset, lanes, k, t, products + r);
            r += 2;
        } else {
            cells_v(1, a, first + r, offset, lanes, k, t, products + r);
            r += 1;
        }
    }
}

/* The cells of a tile's samples, from their products (a whole block's lanes as a constant:
 * without mask registers, AVX2 would test them at every load and store). */
static __attribute__((noinline)) void cells_tile(const struct forward_args *a, int first,
                                                 int rows, int block, const float *h_prev,
                                                 int ld_prev, int k, int t,
                                                 vec products[][4]) {
    const lanes_t lanes = lanes_of(block, a->units);
    if (lanes == ALL_LANES)
        cells_lanes(ALL_LANES, a, first, rows, block, h_prev, ld_prev, k, t, products);
    else
        cells_lanes(lanes, a, first, rows, block, h_prev, ld_prev, k, t, products);
}

/* acc[r][g] += sum over j < count of left[r][j] panel[j][g], for a tile's `rows` and the
 * four gates (panel: count x 4 gates x LANES). */
static ALWAYS_INLINE void accumulate(const int rows, vec acc[][4], const float *panel,
                                     const float *left, long ld_left, int count) {
    for (int j = 0; j < count; ++j) {
        const float *p = panel + (long)j * 4 * LANES;
        vec q[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) q[g] = v_load(p + g * LANES);
#pragma GCC unroll 8
        for (int r = 0; r < rows; ++r) {
            vec l = v_set1(left[r * ld_left + j]);
#pragma GCC unroll 4
            for (int g = 0; g < 4; ++g) acc[r][g] = v_fmadd(l, q[g], acc[r][g]);
        }
    }
}

/* A tile of `rows` samples from `first` on one block of units in one step. */
static ALWAYS_INLINE void forward_tile(const int rows, const struct forward_args *a, int first,
                                       int block, const float *h_prev, int ld_prev, int k,
                                       int t) {
    const int units = a->units;
    const lanes_t lanes = lanes_of(block, units);
    const float *h = h_prev + (long)first * ld_prev;
    vec acc[FORWARD_ROWS][4];
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
        /* The step's input projection first, where the loops do it: bias + x_t @ kernel. */
        vec b = a->inputs && a->bias
                    ? v_load_part(lanes, a->bias + g * units + block * LANES)
                    : v_zero();
#pragma GCC unroll 8
        for (int r = 0; r < rows; ++r) acc[r][g] = b;
    }
    if (a->inputs) {
        const int input_dim = a->input_dim, steps = a->steps;
        accumulate(rows, acc, a->input_panels + (long)block * input_dim * 4 * LANES,
                   a->inputs + ((long)first * steps + t) * input_dim, (long)steps * input_dim,
                   input_dim);
    }
    accumulate(rows, acc, a->panels + (long)block * units * 4 * LANES, h, ld_prev, units);
    /* The cells from a copy in L1: on the registers the accumulators hold, the cells' own
     * values would spill. */
    vec products[FORWARD_ROWS][4];
#pragma GCC unroll 8
    for (int r = 0; r < rows; ++r)
#pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) products[r][g] = acc[r][g];
    cells_tile(a, first, rows, block, h, ld_prev, k, t, products);
}

/* The fused forward loop over the samples [first, end). */
static void forward_rows_fused(const void *pointer, int first, int end) {
    const struct forward_args *a = pointer;
    const int steps = a->steps, units = a->units, width = 4 * units;
    const int blocks = (units + LANES - 1) / LANES, ld_outputs = steps * units;
    for (int k = 0; k < steps; ++k) {
        const int t = a->backwards ? steps - 1 - k : k;
        const float *h_prev = k ? a->outputs + (long)(k - 1) * units : a->h0;
        const int ld_prev = k ? ld_outputs : units;
        for (int b = first; b < end && a->projected; ++b) {
            const char *x = (const char *)(a->projected + ((long)b * steps + t) * width);
            for (long byte = 0; byte < (long)width * (long)sizeof(float); byte += 64)
                PREFETCH(x + byte);
        }
        for (int block = 0; block < blocks; ++block)
            for (int row = first; row < end; row += FORWARD_ROWS) {
                switch (end - row < FORWARD_ROWS ? end - row : FORWARD_ROWS) {
#if FORWARD_ROWS >= 6
                case 6: forward_tile(6, a, row, block, h_prev, ld_prev, k, t); break;
#endif
#if FORWARD_ROWS >= 5
                case 5: forward_tile(5, a, row, block, h_prev, ld_prev, k, t); break;
#endif
#if FORWARD_ROWS >= 4
                case 4: forward_tile(4, a, row, block, h_prev, ld_prev, k, t); break;
#endif
                case 3: forward_tile(3, a, row, block, h_prev, ld_prev, k, t); break;
                case 2: forward_tile(2, a, row, block, h_prev, ld_prev, k, t); break;
                default: forward_tile(1, a, row, block, h_prev, ld_prev, k, t); break;
                }
            }
    }
}

/* out (rows x the group's lanes) = dz (rows x width) panel, plus out itself in the rows
 * whose `kept` is 0 (`kept` NULL: none); `lanes` of out's row are valid (`out_units`). */
static ALWAYS_INLINE void product_tile(const int rows, const int spans, const float *panel,
                                       int width, const float *dz, long ld_dz, float *out,
                                       long ld_out, int out_units, int group,
                                       const uint8_t *kept) {
    vec acc[PRODUCT_ROWS][TILE_VECTORS];
#pragma GCC unroll 8
    for (int r = 0; r < rows; ++r)
#pragma GCC unroll 4
        for (int s = 0; s < spans; ++s) acc[r][s] = v_zero();
    for (int j = 0; j < width; ++j) {
        const float *p = panel + (long)j * spans * LANES;
        vec q[TILE_VECTORS];
#pragma GCC unroll 4
        for (int s = 0; s < spans; ++s) q[s] = v_load(p + s * LANES);
#pragma GCC unroll 8
        for (int r = 0; r < rows; ++r) {
            vec d = v_set1(dz[r * ld_dz + j]);
#pragma GCC unroll 4
            for (int s = 0; s < spans; ++s) acc[r][s] = v_fmadd(d, q[s], acc[r][s]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < rows; ++r) {
        float *row = out + r * ld_out;
#pragma GCC unroll 4
        for (int s = 0; s < spans; ++s) {
            const int block = group * TILE_VECTORS + s;
            const lanes_t lanes = lanes_of(block, out_units);
            vec value = acc[r][s];
            if (kept && !kept[r])
                value = v_add(value, v_load_part(lanes, row + block * LANES));
            v_store_part(row + block * LANES, lanes, value);
        }
    }
}

/* All of out's groups for a tile of `rows`: out = dz kernel^T from the kernel's panels. */
static ALWAYS_INLINE void product_rows(const int rows, const float *panels, int width,
                                       const float *dz, long ld_dz, float *out, long ld_out,
                                       int out_units, const uint8_t *kept) {
    const int blocks = (out_units + LANES - 1) / LANES;
    for (int group = 0; group * TILE_VECTORS < blocks; ++group) {
        const float *panel = panels + (long)group * TILE_VECTORS * LANES * width;
        switch (spans_of(group, blocks)) {
#if TILE_VECTORS >= 4
        case 4: product_tile(rows, 4, panel, width, dz, ld_dz, out, ld_out, out_units, group, kept); break;
#endif
#if TILE_VECTORS >= 3
        case 3: product_tile(rows, 3, panel, width, dz, ld_dz, out, ld_out, out_units, group, kept); break;
#endif
        case 2: product_tile(rows, 2, panel, width, dz, ld_dz, out, ld_out, out_units, group, kept); break;
        default: product_tile(rows, 1, panel, width, dz, ld_dz, out, ld_out, out_units, group, kept); break;
        }
    }
}

static void product(int rows, const float *panels, int width, const float *dz, long ld_dz,
                    float *out, long ld_out, int out_units, const uint8_t *kept) {
    switch (rows) {
#if PRODUCT_ROWS >= 6
    case 6: product_rows(6, panels, width, dz, ld_dz, out, ld_out, out_units, kept); break;
#endif
#if PRODUCT_ROWS >= 5
    case 5: product_rows(5, panels, width, dz, ld_dz, out, ld_out, out_units, kept); break;
#endif
#if PRODUCT_ROWS >= 4
    case 4: product_rows(4, panels, width, dz, ld_dz, out, ld_out, out_units, kept); break;
#endif
    case 3: product_rows(3, panels, width, dz, ld_dz, out, ld_out, out_units, kept); break;
    case 2: product_rows(2, panels, width, dz, ld_dz, out, ld_out, out_units, kept); break;
    default: product_rows(1, panels, width, dz, ld_dz, out, ld_out, out_units, kept); break;
    }
}

/* sum[i][j] += sum over the samples r of left[r][i] dz[r][j], for the `cols` rows i of sum
 * from `left`'s column 0 and a group of `spans` blocks of dz's width from `group`; `full`
 * (a constant) where all of the group's lanes are in dz (the loads need no lanes then). */
static ALWAYS_INLINE void outer_tile(const int cols, const int spans, const int full,
                                     float *sum, int width, const float *left, long ld_left,
                                     const float *dz, long ld_dz, int samples, int group) {
    const int offset = group * OUTER_SPANS * LANES;
    vec acc[OUTER_COLS][OUTER_SPANS];
    lanes_t lanes[OUTER_SPANS];
#pragma GCC unroll 4
    for (int s = 0; s < spans; ++s)
        lanes[s] = full ? ALL_LANES : lanes_of(group * OUTER_SPANS + s, width);
#pragma GCC unroll 8
    for (int i = 0; i < cols; ++i)
#pragma GCC unroll 4
        for (int s = 0; s < spans; ++s)
            acc[i][s] = v_load_part(lanes[s], sum + (long)i * width + offset + s * LANES);
    for (int r = 0; r < samples; ++r) {
        const float *d = dz + r * ld_dz + offset;
        vec q[OUTER_SPANS];
#pragma GCC unroll 4
        for (int s = 0; s < spans; ++s) q[s] = v_load_part(lanes[s], d + s * LANES);
#pragma GCC unroll 8
        for (int i = 0; i < cols; ++i) {
            vec l = v_set1(left[r * ld_left + i]);
#pragma GCC unroll 4
            for (int s = 0; s < spans; ++s) acc[i][s] = v_fmadd(l, q[s], acc[i][s]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < cols; ++i)
#pragma GCC unroll 4
        for (int s = 0; s < spans; ++s)
            v_store_part(sum + (long)i * width + offset + s * LANES, lanes[s], acc[i][s]);
}

static ALWAYS_INLINE void outer_cols(const int cols, float *sum, int width, const float *left,
                                     long ld_left, const float *dz, long ld_dz, int samples,
                                     int group, int blocks) {
    const int left_blocks = blocks - group * OUTER_SPANS;
    if (left_blocks > OUTER_SPANS || (left_blocks == OUTER_SPANS && width % LANES == 0)) {
        outer_tile(cols, OUTER_SPANS, 1, sum, width, left, ld_left, dz, ld_dz, samples, group);
        return;
    }
    switch (left_blocks < OUTER_SPANS ? left_blocks : OUTER_SPANS) {
#if OUTER_SPANS >= 4
    case 4: outer_tile(cols, 4, 0, sum, width, left, ld_left, dz, ld_dz, samples, group); break;
#endif
#if OUTER_SPANS >= 3
    case 3: outer_tile(cols, 3, 0, sum, width, left, ld_left, dz, ld_dz, samples, group); break;
#endif
    case 2: outer_tile(cols, 2, 0, sum, width, left, ld_left, dz, ld_dz, samples, group); break;
    default: outer_tile(cols, 1, 0, sum, width, left, ld_left, dz, ld_dz, samples, group); break;
    }
}

/* sum (n x width) += left^T dz over `samples` rows: left (samples x n), dz (samples x
 * width). In blocks of OUTER_BLOCK of left's columns, each across all of dz's groups: the
 * samples' rows lie a sequence apart (beyond L1), and so a block of left stays in L1 while
 * the groups take it, and a group of dz while the block's tiles take it. (Tile by tile
 * across dz's whole width instead, the step's dz came from L2 once per tile of columns.) */
static void outer(int n, float *sum, int width, const float *left, long ld_left,
                  const float *dz, long ld_dz, int samples) {
    const int blocks = (width + LANES - 1) / LANES;
    for (int start = 0; start < n; start += OUTER_BLOCK) {
        const int end = n - start < OUTER_BLOCK ? n : start + OUTER_BLOCK;
        for (int group = 0; group * OUTER_SPANS < blocks; ++group)
            for (int i = start; i < end; i += OUTER_COLS) {
                float *rows = sum + (long)i * width;
                const float *l = left + i;
                switch (end - i < OUTER_COLS ? end - i : OUTER_COLS) {
#if OUTER_COLS >= 6
                case 6: outer_cols(6, rows, width, l, ld_left, dz, ld_dz, samples, group, blocks); break;
#endif
#if OUTER_COLS >= 5
                case 5: outer_cols(5, rows, width, l, ld_left, dz, ld_dz, samples, group, blocks); break;
#endif
#if OUTER_COLS >= 4
                case 4: outer_cols(4, rows, width, l, ld_left, dz, ld_dz, samples, group, blocks); break;
#endif
                case 3: outer_cols(3, rows, width, l, ld_left, dz, ld_dz, samples, group, blocks); break;
                case 2: outer_cols(2, rows, width, l, ld_left, dz, ld_dz, samples, group, blocks); break;
                default: outer_cols(1, rows, width, l, ld_left, dz, ld_dz, samples, group, blocks); break;
                }
            }
    }
}

/* A copy of `rows` rows of `count` floats, `ld` apart, next to each other in `to`. */
static void gather_rows(float *to, const float *from, long ld, int rows, int count) {
    for (int r = 0; r < rows; ++r)
        memcpy(to + (long)r * count, from + r * ld, (size_t)count * sizeof(float));
}

/* The fused backward loop over the samples [first, end). */
static void backward_rows_fused(const void *pointer, int first, int end) {
    const struct backward_args *a = pointer;
    const int steps = a->steps, batch = a->batch, units = a->units, width = 4 * units;
    const int samples = end - first, input_dim = a->input_dim;
    uint8_t kept[PRODUCT_ROWS];
    /* On the input path, each step's dz and its outer products' left operands (h_prev, then
     * the inputs) copied side by side: in place their samples' rows lie a whole sequence
     * apart, a multiple of 4 KiB for the usual sizes, so that all of them fall into one
     * set of the L1 cache and evict each other while the products read them (measured:
     * the outer products ran at about half the speed). NULL (out of memory, or the
     * recurrence alone): the products read them in place. */
    const long step_size = (long)samples * (width + units + input_dim);
    float *step_dz = a->inputs ? aligned_alloc(64, (size_t)(step_size + 15) / 16 * 64) : 0;
    float *step_left = step_dz ? step_dz + (long)samples * width : 0;
    for (int k = steps - 1; k >= 0; --k) {
        const int t = a->backwards ? steps - 1 - k : k;
        for (int b = first; b < end; ++b)
            cells_backward(units, a->factors + ((long)k * batch + b) * width,
                           a->carried + ((long)k * batch + b) * 2 * units,
                           a->d_outputs ? a->d_outputs + ((long)b * steps + k) * units : 0,
                           a->dh + (long)b * units, a->dc + (long)b * units,
                           a->dzs + ((long)b * steps + k) * width);
        long ld_dz = (long)steps * width;
        const float *dz = a->dzs + ((long)first * steps + k) * width;
        if (a->inputs) {
            /* The step's gradient sums (before dh is replaced by dh_prev), then d_inputs. */
            const float *h_prev = k ? a->outputs + ((long)first * steps + k - 1) * units
                                    : a->h0 + (long)first * units;
            const long ld_h = k ? (long)steps * units : units, ld_x = (long)steps * input_dim;
            const float *x = a->inputs + ((long)first * steps + t) * input_dim;
            float *sum = a->sums + a->sums_size * part_of(first, batch, a->parts);
            if (step_dz) {
                gather_rows(step_dz, dz, ld_dz, samples, width);
                dz = step_dz;
                ld_dz = width;
                for (int r = 0; r < samples; ++r) {
                    float *left = step_left + (long)r * (units + input_dim);
                    memcpy(left, h_prev + r * ld_h, (size_t)units * sizeof(float));
                    memcpy(left + units, x + r * ld_x, (size_t)input_dim * sizeof(float));
                }
                /* (sum: the recurrent kernel's rows, then the input kernel's.) */
                outer(units + input_dim, sum, width, step_left, units + input_dim, dz, ld_dz,
                      samples);
            } else {
                outer(units, sum, width, h_prev, ld_h, dz, ld_dz, samples);
                outer(input_dim, sum + (long)units * width, width, x, ld_x, dz, ld_dz, samples);
            }
            for (int row = first; row < end; row += PRODUCT_ROWS)
                product(end - row < PRODUCT_ROWS ? end - row : PRODUCT_ROWS, a->input_panels,
                        width, dz + (long)(row - first) * ld_dz,
                        ld_dz, a->d_inputs + ((long)row * steps + t) * input_dim,
                        ld_x, input_dim, 0);
        }
        for (int row = first; row < end; row += PRODUCT_ROWS) {
            const int rows = end - row < PRODUCT_ROWS ? end - row : PRODUCT_ROWS;
            /* A masked step passed the previous output on: dh_prev gets dh itself. */
            for (int r = 0; r < rows; ++r)
                kept[r] = a->mask ? a->mask[(long)(row + r) * steps + t] : 1;
            product(rows, a->panels, width, dz + (long)(row - first) * ld_dz, ld_dz,
                    a->dh + (long)row * units, units, units, kept);
        }
    }
    free(step_dz);
}
#else
#define FUSED 0
static int fused_on = 0;
#endif

/* Whether the fused loops are built in: 1 or 0. With `on` 0 the loops run the BLAS' gemm
 * and the separate cells even where they are (to compare the two). */
int set_fused(int on) {
    fused_on = FUSED && on;
    return FUSED;
}

/* Whether the fused loops run: built in and not set off. */
int fused_active(void) { return fused_on; }

/* The lanes of the fused loops' vectors: 16 (AVX-512), 8 (AVX2), or 0 where they are not
 * built in. */
int fused_lanes(void) {
#if FUSED
    return LANES;
#else
    return 0;
#endif
}

/* tanh of n values as the loops compute it: y = tanh(x), LANES lanes at a time where the
 * fused loops are built in and `vector` is set, else one at a time. Returns whether on
 * vectors. */
int tanh_array(int n, const REAL *x, REAL *y, int vector) {
#if FUSED
    if (vector) {
        for (int i = 0; i < n; i += LANES) {
            const lanes_t lanes = lanes_of(0, n - i);
            v_store_part(y + i, lanes, tanh_v(v_load_part(lanes, x + i)));
        }
        return 1;
    }
#endif
    (void)vector;
    for (int i = 0; i < n; ++i) y[i] = tanh_r(x[i]);
    return 0;
}

/* A step's product under recurrent dropout, for the rows [first, first + rows): gate g's
 * block of z is (h_prev * rec_masks[g]) @ kernel[:, g-th block], with one mask for all
 * gates (one product with the whole kernel) or one per gate (four products, each with its
 * block of the kernel). */
static void masked_product(const struct forward_args *a, int first, int rows,
                           const REAL *h_prev, int ld_prev, REAL *z) {
    const int units = a->units, batch = a->batch, width = 4 * units;
    const REAL one = 1, zero = 0;
    for (int g = 0; g < a->mask_count; ++g) {
        REAL *restrict masked = a->masked_h + ((long)g * batch + first) * units;
        const REAL *restrict mask = a->rec_masks + ((long)g * batch + first) * units;
        for (int r = 0; r < rows; ++r) {
            const REAL *restrict h = h_prev + (long)(first + r) * ld_prev;
            for (int u = 0; u < units; ++u)
                masked[(long)r * units + u] = h[u] * mask[(long)r * units + u];
        }
        if (a->mask_count == 1) {
            step_product(a->kernel, rows, masked, units, &zero, z, width);
        } else {
            /* Column-major z^T's rows of gate g = kernel[:, g-th block]^T masked^T. */
            gemm("N", "N", &units, &rows, &units, &one, a->kernel->kernel + (long)g * units,
                 &width, masked, &units, &zero, z + (long)g * units, &width);
        }
    }
}

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
        if (a->mask_count)
            masked_product(a, first, rows, h_prev, ld_prev, z);
        else
            step_product(a->kernel, rows, h_prev + (long)first * ld_prev, ld_prev, &zero, z,
                         width);
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
 * (inference); rec_masks (mask_count, batch, units): Keras 2's recurrent dropout masks, 1
 * for all gates or 4, one per gate, or mask_count 0 for none, and masked_h scratch of their
 * size (a step's masked products run on the BLAS gemm, never the fused loops); threads: how
 * many threads may share the batch, use_team: whether on the OpenMP team (where
 * `set_openmp` gave one). Returns 0, or -1 when no gemm was set. */
int lstm_forward(int steps, int batch, int units, const REAL *projected, const REAL *h0,
                 REAL *outputs, REAL *c, const REAL *kernel, const uint8_t *mask,
                 const REAL *rec_masks, int mask_count, REAL *masked_h, int hard,
                 int backwards, REAL *z, REAL *factors, REAL *carried, int threads,
                 int use_team) {
    if (!gemm) return -1;
    const int width = 4 * units;
#if FUSED
    if (fused_on && !mask_count) {
        float *panels = pack_forward(units, units, kernel);
        if (panels) {
            const struct forward_args args = {steps, batch, units, hard, backwards, 0, projected,
                                              h0, mask, outputs, c, z, factors, carried, panels,
                                              0, 0, 0, 0};
            split_rows(forward_rows_fused, &args, batch, threads, use_team);
            free(panels);
            return 0;
        }
    }
#endif
    struct left_operand left = left_operand("N", width, batch, units, kernel, width);
    const struct forward_args args = {steps, batch, units, hard, backwards, &left, projected,
                                      h0, mask, outputs, c, z, factors, carried, 0, 0, 0, 0, 0,
                                      rec_masks, mask_count, masked_h};
    split_rows(forward_rows, &args, batch, threads, use_team);
    free(left.packed);
    return 0;
}

/* The forward loop with the input projection done step by step inside it (the fused loops
 * only): as lstm_forward, with inputs (batch, steps, input_dim), input_kernel (input_dim,
 * 4 units) and bias (4 units) or NULL in place of `projected`. Returns 0, or -2 where the
 * fused loops are not built in or are off (the caller projects and calls lstm_forward). */
int lstm_input_forward(int steps, int batch, int units, int input_dim, const REAL *inputs,
                       const REAL *input_kernel, const REAL *bias, const REAL *h0,
                       REAL *outputs, REAL *c, const REAL *kernel, const uint8_t *mask,
                       int hard, int backwards, REAL *factors, REAL *carried, int threads,
                       int use_team) {
#if FUSED
    if (fused_on) {
        float *panels = pack_forward(units, units, kernel);
        float *input_panels = panels ? pack_forward(input_dim, units, input_kernel) : 0;
        if (input_panels) {
            const struct forward_args args = {steps, batch, units, hard, backwards, 0, 0, h0,
                                              mask, outputs, c, 0, factors, carried, panels,
                                              input_dim, inputs, input_panels, bias};
            split_rows(forward_rows_fused, &args, batch, threads, use_team);
            free(panels);
            free(input_panels);
            return 0;
        }
        free(panels);
    }
#else
    (void)steps; (void)batch; (void)units; (void)input_dim; (void)inputs; (void)input_kernel;
    (void)bias; (void)h0; (void)outputs; (void)c; (void)kernel; (void)mask; (void)hard;
    (void)backwards; (void)factors; (void)carried; (void)threads; (void)use_team;
#endif
    return -2;
}

/* The gradient into h_prev of masked_product, for the rows [first, first + rows), added
 * to `into` (rows, units): the sum over the gates of rec_masks[g] * (dz[g-th block] @
 * kernel[:, g-th block]^T); one product with the whole kernel where one mask serves all
 * gates. */
static void masked_product_transpose(const struct backward_args *a, int first, int rows,
                                     const REAL *dz, int ld_dz, REAL *restrict into) {
    const int units = a->units, batch = a->batch, width = 4 * units;
    const REAL one = 1, zero = 0;
    REAL *restrict product = a->product + (long)first * units;
    for (int g = 0; g < a->mask_count; ++g) {
        if (a->mask_count == 1) {
            step_product(a->kernel, rows, dz, ld_dz, &zero, product, units);
        } else {
            /* Column-major product^T = kernel[:, g-th block] dz[g-th block]^T. */
            gemm("T", "N", &units, &rows, &units, &one, a->kernel->kernel + (long)g * units,
                 &width, dz + (long)g * units, &ld_dz, &zero, product, &units);
        }
        const REAL *restrict mask = a->rec_masks + ((long)g * batch + first) * units;
        for (long i = 0; i < (long)rows * units; ++i) into[i] += mask[i] * product[i];
    }
}

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
        const REAL *dz = a->dzs + (long)first * ld_dzs + (long)k * width;
        if (a->mask_count) {
            if (!a->mask) memset(scratch, 0, (long)rows * units * sizeof(REAL));
            masked_product_transpose(a, first, rows, dz, ld_dzs, scratch);
        } else {
            step_product(a->kernel, rows, dz, ld_dzs, any_masked ? &one : &zero, scratch,
                         units);
        }
        memcpy(a->dh + (long)first * units, scratch, (long)rows * units * sizeof(REAL));
    }
}

/* The backward loop, from the last step processed to the first. d_outputs (batch, steps,
 * units) in processing order, or NULL; dh, dc (batch, units): the final states' gradients,
 * replaced by the initial states'; dzs (batch, steps, 4 units): the projections' gradients
 * in processing order; scratch (batch, units); rec_masks and mask_count as the forward loop
 * had them, product (batch, units) scratch; threads and use_team as for lstm_forward.
 * Returns 0, or -1 when no gemm was set. */
int lstm_backward(int steps, int batch, int units, const REAL *factors, const REAL *carried,
                  const REAL *kernel, const uint8_t *mask, const REAL *rec_masks,
                  int mask_count, REAL *product, int backwards, const REAL *d_outputs,
                  REAL *dh, REAL *dc, REAL *dzs, REAL *scratch, int threads, int use_team) {
    if (!gemm) return -1;
    const int width = 4 * units;
#if FUSED
    if (fused_on && !mask_count) {
        float *panels = pack_backward(units, units, kernel);
        if (panels) {
            const struct backward_args args = {steps, batch, units, backwards, 0, factors,
                                               carried, d_outputs, mask, dh, dc, dzs, scratch,
                                               panels, 0, 1, 0, 0, 0, 0, 0, 0, 0};
            split_rows(backward_rows_fused, &args, batch, threads, use_team);
            free(panels);
            return 0;
        }
    }
#endif
    struct left_operand left = left_operand("T", units, batch, width, kernel, width);
    const struct backward_args args = {steps, batch, units, backwards, &left, factors, carried,
                                       d_outputs, mask, dh, dc, dzs, scratch, 0, 0, 1, 0, 0, 0,
                                       0, 0, 0, 0, rec_masks, mask_count, product};
    split_rows(backward_rows, &args, batch, threads, use_team);
    free(left.packed);
    return 0;
}

/* The backward loop of lstm_input_forward (the fused loops only): as lstm_backward, and
 * besides d_inputs (batch, steps, input_dim), d_input_kernel (input_dim, 4 units) and
 * d_kernel (units, 4 units), each step's share computed while its dz is at hand (dzs are
 * still written: the bias' gradient is their sum). inputs, input_kernel, h0 and outputs
 * are those the forward loop had and gave. Returns 0, -1 when out of memory, or -2 where
 * the fused loops are not built in or are off. */
int lstm_input_backward(int steps, int batch, int units, int input_dim, const REAL *factors,
                        const REAL *carried, const REAL *kernel, const REAL *input_kernel,
                        const REAL *inputs, const REAL *h0, const REAL *outputs,
                        const uint8_t *mask, int backwards, const REAL *d_outputs, REAL *dh,
                        REAL *dc, REAL *dzs, REAL *d_inputs, REAL *d_input_kernel,
                        REAL *d_kernel, int threads, int use_team) {
#if FUSED
    if (!fused_on) return -2;
    const int width = 4 * units, parts = parts_for(batch, threads);
    const long sums_size = (long)(units + input_dim) * width;
    float *panels = pack_backward(units, units, kernel);
    float *input_panels = pack_backward(input_dim, units, input_kernel);
    float *sums = calloc((size_t)parts * sums_size, sizeof(float));
    int status = -1;
    if (panels && input_panels && sums) {
        const struct backward_args args = {steps, batch, units, backwards, 0, factors,
                                           carried, d_outputs, mask, dh, dc, dzs, 0, panels,
                                           input_dim, parts, inputs, input_panels, h0,
                                           outputs, d_inputs, sums, sums_size};
        split_rows(backward_rows_fused, &args, batch, threads, use_team);
        /* The parts' sums, in part order. */
        for (long i = 0; i < sums_size; ++i) {
            float total = sums[i];
            for (int part = 1; part < parts; ++part) total += sums[part * sums_size + i];
            if (i < (long)units * width)
                d_kernel[i] = total;
            else
                d_input_kernel[i - (long)units * width] = total;
        }
        status = 0;
    }
    free(panels);
    free(input_panels);
    free(sums);
    return status;
#else
    (void)steps; (void)batch; (void)units; (void)input_dim; (void)factors; (void)carried;
    (void)kernel; (void)input_kernel; (void)inputs; (void)h0; (void)outputs; (void)mask;
    (void)backwards; (void)d_outputs; (void)dh; (void)dc; (void)dzs; (void)d_inputs;
    (void)d_input_kernel; (void)d_kernel; (void)threads; (void)use_team;
    return -2;
#endif
}

/* Keras 2's GRU (reset_after=False, Keras 2's default) on the BLAS gemm: per step the update
 * and reset gates' product (h_prev @ kernel[:, :2 units]), their cells, the candidate's
 * product ((r * h_prev) @ kernel[:, 2 units:]) and the new state. Layouts as the LSTM's,
 * with 3 units of pre-activations per sample (gates z, r, h):
 *   projected (batch, steps, 3 units), kernel (units, 3 units), outputs (batch, steps,
 *   units) in processing order;
 *   training, per step in processing order: gates (steps, batch, 2 units) z and r,
 *   slopes (steps, batch, 2 units) their derivatives, candidates (steps, batch, units), and
 *   rhs (batch, steps, units) r times the candidate product's state, laid out as the
 *   pre-activations' gradients are for the kernel's gradient.
 * Keras 2's recurrent dropout, rec_masks (mask_count, batch, units), the same at every step:
 *   3 masks (implementation 1): z's product takes h_prev * masks[0], r's h_prev * masks[1],
 *     the candidate's r * h_prev * masks[2]; the new state mixes the unmasked h_prev;
 *   1 mask (implementation 2): h_prev * masks[0] stands for h_prev everywhere, in the new
 *     state's mix too (Keras 2.2.4 masks the previous state itself);
 *   masked_h (mask_count, batch, units) scratch. */
struct gru_forward_args {
    int steps, batch, units, hard, backwards;
    const REAL *projected, *h0, *kernel;
    const uint8_t *mask;
    REAL *outputs;
    REAL *zr, *hh; /* scratch (batch, 2 units) and (batch, units) */
    REAL *rhs;     /* (batch, steps, units) training, else scratch (batch, units) */
    REAL *gates, *slopes, *candidates; /* training, else NULL */
    const REAL *rec_masks;
    int mask_count;
    REAL *masked_h;
};

/* Where a GRU step reads the previous state, for the rows from `first`: the update and reset
 * gates' products, the candidate's, and the new state's mix (each with its row stride). */
struct gru_operands {
    const REAL *z, *r, *candidate, *mix;
    int ld_z, ld_r, ld_candidate, ld_mix;
};

/* The operands of a step: h_prev itself, or its masked copies written into masked_h. */
static struct gru_operands gru_operands(const REAL *rec_masks, int mask_count, REAL *masked_h,
                                        int batch, int units, int first, int rows,
                                        const REAL *h_prev, int ld_prev) {
    const REAL *h = h_prev + (long)first * ld_prev;
    struct gru_operands o = {h, h, h, h, ld_prev, ld_prev, ld_prev, ld_prev};
    const REAL *masked[3];
    for (int g = 0; g < mask_count; ++g) {
        REAL *restrict to = masked_h + ((long)g * batch + first) * units;
        const REAL *restrict mask = rec_masks + ((long)g * batch + first) * units;
        for (int r = 0; r < rows; ++r)
            for (int u = 0; u < units; ++u)
                to[(long)r * units + u] = h[(long)r * ld_prev + u] * mask[(long)r * units + u];
        masked[g] = to;
    }
    if (mask_count == 1) {
        o.z = o.r = o.candidate = o.mix = masked[0];
        o.ld_z = o.ld_r = o.ld_candidate = o.ld_mix = units;
    } else if (mask_count == 3) {
        o.z = masked[0], o.r = masked[1], o.candidate = masked[2];
        o.ld_z = o.ld_r = o.ld_candidate = units;
    }
    return o;
}

static void gru_forward_rows(const void *pointer, int first, int end) {
    const struct gru_forward_args *a = pointer;
    const int steps = a->steps, batch = a->batch, units = a->units, rows = end - first;
    const int width = 3 * units, gate_width = 2 * units, ld_outputs = steps * units;
    const int ld_rhs = a->gates ? steps * units : units;
    const REAL one = 1, zero = 0;
    for (int k = 0; k < steps; ++k) {
        const int t = a->backwards ? steps - 1 - k : k;
        const REAL *h_prev = k ? a->outputs + (long)(k - 1) * units : a->h0;
        const int ld_prev = k ? ld_outputs : units;
        const struct gru_operands o = gru_operands(a->rec_masks, a->mask_count, a->masked_h,
                                                   batch, units, first, rows, h_prev, ld_prev);
        REAL *rh_first = a->rhs + (long)first * ld_rhs + (a->gates ? (long)k * units : 0);
        REAL *zr_first = a->zr + (long)first * gate_width;
        /* zr = h_prev @ kernel[:, :2 units], as column-major zr^T = kernel_zr^T h_prev^T:
         * one product, or one per gate where their operands differ. */
        if (o.z == o.r) {
            gemm("N", "N", &gate_width, &rows, &units, &one, a->kernel, &width, o.z, &o.ld_z,
                 &zero, zr_first, &gate_width);
        } else {
            gemm("N", "N", &units, &rows, &units, &one, a->kernel, &width, o.z, &o.ld_z, &zero,
                 zr_first, &gate_width);
            gemm("N", "N", &units, &rows, &units, &one, a->kernel + units, &width, o.r, &o.ld_r,
                 &zero, zr_first + units, &gate_width);
        }
        for (int b = first; b < end; ++b) {
            const REAL *restrict x = a->projected + ((long)b * steps + t) * width;
            REAL *restrict zr = a->zr + (long)b * gate_width; /* becomes z's activations */
            const REAL *restrict h = o.candidate + (long)(b - first) * o.ld_candidate;
            REAL *restrict rh = rh_first + (long)(b - first) * ld_rhs;
            REAL *restrict gates = a->gates ? a->gates + ((long)k * batch + b) * gate_width : 0;
            REAL *restrict slopes = a->slopes ? a->slopes + ((long)k * batch + b) * gate_width
                                              : 0;
            for (int u = 0; u < gate_width; ++u) {
                const REAL pre = x[u] + zr[u];
                const REAL gate = a->hard ? hard_sigmoid_r(pre) : sigmoid_r(pre);
                if (gates) {
                    gates[u] = gate;
                    slopes[u] = a->hard ? hard_sigmoid_slope_r(pre) : gate * (1 - gate);
                }
                /* z stays for the new state; r * h_prev is the candidate product's operand. */
                if (u < units) zr[u] = gate;
                else rh[u - units] = gate * h[u - units];
            }
        }
        /* hh = (r * h_prev) @ kernel[:, 2 units:]. */
        gemm("N", "N", &units, &rows, &units, &one, a->kernel + gate_width, &width, rh_first,
             &ld_rhs, &zero, a->hh + (long)first * units, &units);
        for (int b = first; b < end; ++b) {
            const REAL *restrict x = a->projected + ((long)b * steps + t) * width + gate_width;
            const REAL *restrict z = a->zr + (long)b * gate_width;
            const REAL *restrict mix = o.mix + (long)(b - first) * o.ld_mix;
            REAL *restrict hh = a->hh + (long)b * units;
            REAL *restrict out = a->outputs + (long)b * ld_outputs + (long)k * units;
            REAL *restrict candidates = a->candidates ?
                a->candidates + ((long)k * batch + b) * units : 0;
            if (a->mask && !a->mask[(long)b * steps + t]) {
                /* The state stays (unmasked); the backward loop passes its gradient on. */
                memcpy(out, h_prev + (long)b * ld_prev, units * sizeof(REAL));
                continue;
            }
            for (int u = 0; u < units; ++u) {
                const REAL candidate = tanh_r(x[u] + hh[u]);
                if (candidates) candidates[u] = candidate;
                out[u] = candidate + z[u] * (mix[u] - candidate);
            }
        }
    }
}

/* The GRU's forward loop: as lstm_forward, without the cell state; zr (batch, 2 units) and
 * hh (batch, units) scratch; rhs (batch, steps, units) when training, else (batch, units)
 * scratch; gates, slopes and candidates as above, or NULL (inference); rec_masks,
 * mask_count (0: none) and masked_h as above. Returns 0, or -1 when no gemm was set. */
int gru_forward(int steps, int batch, int units, const REAL *projected, const REAL *h0,
                REAL *outputs, const REAL *kernel, const uint8_t *mask, const REAL *rec_masks,
                int mask_count, REAL *masked_h, int hard, int backwards, REAL *zr, REAL *hh,
                REAL *rhs, REAL *gates, REAL *slopes, REAL *candidates, int threads,
                int use_team) {
    if (!gemm) return -1;
    const struct gru_forward_args args = {steps, batch, units, hard, backwards, projected, h0,
                                          kernel, mask, outputs, zr, hh, rhs, gates, slopes,
                                          candidates, rec_masks, mask_count, masked_h};
    split_rows(gru_forward_rows, &args, batch, threads, use_team);
    return 0;
}

struct gru_backward_args {
    int steps, batch, units, backwards;
    const REAL *kernel, *h0, *outputs, *gates, *slopes, *candidates, *d_outputs;
    const uint8_t *mask;
    REAL *dh, *dzs, *d_rh, *next_dh; /* d_rh, next_dh: scratch (batch, units) */
    const REAL *rec_masks;
    int mask_count;
    REAL *masked_h, *product; /* as the forward loop's; product (batch, units) scratch */
};

/* Per step, with dh the state's gradient (hh the candidate, ' a gate's slope, h_z, h_r, h_c
 * and h_m the operands of gru_operands, each the masks' product with h_prev):
 *   d_hh_pre = dh (1 - z) (1 - hh^2);  dz_pre = dh (h_m - hh) z'
 *   d_rh = d_hh_pre @ kernel_h^T;  dr_pre = d_rh h_c r'
 *   dh_prev, through each operand back to h_prev: dh z (h_m), d_rh r (h_c),
 *     dz_pre @ kernel_z^T (h_z), dr_pre @ kernel_r^T (h_r).
 * A masked step passes dh through, its pre-activations' gradients zero. */
static void gru_backward_rows(const void *pointer, int first, int end) {
    const struct gru_backward_args *a = pointer;
    const int steps = a->steps, batch = a->batch, units = a->units, rows = end - first;
    const int width = 3 * units, gate_width = 2 * units, ld_dzs = steps * width;
    const int ld_outputs = steps * units, count = a->mask_count;
    const REAL one = 1, zero = 0;
    /* Per-gate masks: products through kernel_z and kernel_r apart, masked as they add up. */
    const REAL *mask_z = count == 3 ? a->rec_masks : 0;
    const REAL *mask_r = count == 3 ? a->rec_masks + (long)batch * units : 0;
    const REAL *mask_c = count == 3 ? a->rec_masks + 2L * batch * units : 0;
    REAL *next_first = a->next_dh + (long)first * units;
    for (int k = steps - 1; k >= 0; --k) {
        const int t = a->backwards ? steps - 1 - k : k;
        const REAL *h_prev = k ? a->outputs + (long)(k - 1) * units : a->h0;
        const int ld_prev = k ? ld_outputs : units;
        const struct gru_operands o = gru_operands(a->rec_masks, count, a->masked_h, batch,
                                                   units, first, rows, h_prev, ld_prev);
        for (int b = first; b < end; ++b) {
            REAL *restrict dh = a->dh + (long)b * units;
            REAL *restrict dz = a->dzs + ((long)b * steps + k) * width;
            const REAL *restrict gates = a->gates + ((long)k * batch + b) * gate_width;
            const REAL *restrict slopes = a->slopes + ((long)k * batch + b) * gate_width;
            const REAL *restrict hh = a->candidates + ((long)k * batch + b) * units;
            const REAL *restrict mix = o.mix + (long)(b - first) * o.ld_mix;
            if (a->d_outputs) {
                const REAL *restrict d_out = a->d_outputs + ((long)b * steps + k) * units;
                for (int u = 0; u < units; ++u) dh[u] += d_out[u];
            }
            if (a->mask && !a->mask[(long)b * steps + t]) {
                memset(dz, 0, width * sizeof(REAL));
                continue;
            }
            for (int u = 0; u < units; ++u) {
                dz[2 * units + u] = dh[u] * (1 - gates[u]) * (1 - hh[u] * hh[u]);
                dz[u] = dh[u] * (mix[u] - hh[u]) * slopes[u];
            }
        }
        /* d_rh = d_hh_pre @ kernel_h^T, as column-major d_rh^T = kernel_h d_hh_pre^T. */
        REAL *dz_first = a->dzs + (long)first * ld_dzs + (long)k * width;
        gemm("T", "N", &units, &rows, &units, &one, a->kernel + gate_width, &width,
             dz_first + gate_width, &ld_dzs, &zero, a->d_rh + (long)first * units, &units);
        for (int b = first; b < end; ++b) {
            REAL *restrict dh = a->dh + (long)b * units;
            REAL *restrict next = a->next_dh + (long)b * units;
            if (a->mask && !a->mask[(long)b * steps + t]) {
                memcpy(next, dh, units * sizeof(REAL));
                continue;
            }
            REAL *restrict dz = a->dzs + ((long)b * steps + k) * width;
            const REAL *restrict gates = a->gates + ((long)k * batch + b) * gate_width;
            const REAL *restrict slopes = a->slopes + ((long)k * batch + b) * gate_width;
            const REAL *restrict d_rh = a->d_rh + (long)b * units;
            const REAL *restrict h_c = o.candidate + (long)(b - first) * o.ld_candidate;
            const REAL *restrict m_c = mask_c ? mask_c + (long)b * units : 0;
            for (int u = 0; u < units; ++u) {
                dz[units + u] = d_rh[u] * h_c[u] * slopes[units + u];
                next[u] = dh[u] * gates[u] + d_rh[u] * gates[units + u] * (m_c ? m_c[u] : 1);
            }
        }
        if (count != 3) {
            /* dh_prev += (dz_pre, dr_pre) @ kernel_zr^T (zero rows where masked). */
            gemm("T", "N", &units, &rows, &gate_width, &one, a->kernel, &width, dz_first,
                 &ld_dzs, &one, next_first, &units);
        } else {
            REAL *restrict product = a->product + (long)first * units;
            for (int gate = 0; gate < 2; ++gate) {
                const REAL *restrict mask = (gate ? mask_r : mask_z) + (long)first * units;
                gemm("T", "N", &units, &rows, &units, &one, a->kernel + gate * units, &width,
                     dz_first + gate * units, &ld_dzs, &zero, product, &units);
                for (long i = 0; i < (long)rows * units; ++i)
                    next_first[i] += mask[i] * product[i];
            }
        }
        if (count == 1) {
            /* The gradient of the masked state, back to h_prev (not where the step passed
             * dh through). */
            for (int b = first; b < end; ++b) {
                if (a->mask && !a->mask[(long)b * steps + t]) continue;
                REAL *restrict next = a->next_dh + (long)b * units;
                const REAL *restrict mask = a->rec_masks + (long)b * units;
                for (int u = 0; u < units; ++u) next[u] *= mask[u];
            }
        }
        memcpy(a->dh + (long)first * units, next_first, (long)rows * units * sizeof(REAL));
    }
}

/* The GRU's backward loop, from the last step processed to the first: outputs, gates,
 * slopes and candidates as the forward loop gave them, h0 its initial state, d_outputs
 * (batch, steps, units) in processing order or NULL; dh (batch, units): the final state's
 * gradient, replaced by the initial state's; dzs (batch, steps, 3 units): the projections'
 * gradients in processing order; d_rh, next_dh (batch, units) scratch; rec_masks,
 * mask_count and masked_h as the forward loop had them, product (batch, units) scratch.
 * Returns 0, or -1 when no gemm was set. */
int gru_backward(int steps, int batch, int units, const REAL *kernel, const REAL *h0,
                 const REAL *outputs, const REAL *gates, const REAL *slopes,
                 const REAL *candidates, const uint8_t *mask, const REAL *rec_masks,
                 int mask_count, REAL *masked_h, REAL *product, int backwards,
                 const REAL *d_outputs, REAL *dh, REAL *dzs, REAL *d_rh, REAL *next_dh,
                 int threads, int use_team) {
    if (!gemm) return -1;
    const struct gru_backward_args args = {steps, batch, units, backwards, kernel, h0, outputs,
                                           gates, slopes, candidates, d_outputs, mask, dh, dzs,
                                           d_rh, next_dh, rec_masks, mask_count, masked_h,
                                           product};
    split_rows(gru_backward_rows, &args, batch, threads, use_team);
    return 0;
}
