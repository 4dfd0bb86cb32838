"""The code that runs inside the sandboxed child process, and the only code that executes a
submission.

Self-contained: it imports NumPy, the standard library and this package, nothing else, so
the sandbox can give the child a ``sys.path`` holding just NumPy and a copy of this folder.
It receives the cases' inputs, never their expected values, and nothing it sends back is
trusted before the parent (``autograder.sandbox``) has validated it.
"""
