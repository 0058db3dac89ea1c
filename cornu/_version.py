"""cornu's version, and the version of Keras whose API and file format it follows.

A module of its own so that what writes the version into saved files imports only this, not
`cornu` itself (which imports everything).
"""
__version__ = '0.1.0'
# The Keras version whose API and file format cornu follows (written into saved files).
__keras_version__ = '2.2.4'
