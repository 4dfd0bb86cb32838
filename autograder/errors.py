"""Errors that are the grader's fault, never the student's."""


class SandboxBroken(Exception):
    """A child could not start in the sandbox: no submission code ran, nothing was graded.
    The message is for the instructor."""
