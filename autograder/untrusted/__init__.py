"""The untrusted side: the only code that executes a submission.

It runs in a child process (see ``autograder.sandbox``), receives the inputs it
needs as plain arrays and sends back plain arrays; it never sees an expected
value, and nothing it returns is trusted before the parent has validated it.
"""
