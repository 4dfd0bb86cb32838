"""The instructor's tools and their command line (``python -m toolkit``): the build from the
course sources in ``assignment/``, reference and variant generation (torch, the answer key),
the deliverables, batch grading, grade books, the class report and similarity. Nothing here
ships to students or into the grading image; it uses the engine (``autograder``) and the
course (``assignment``), and neither imports it."""
