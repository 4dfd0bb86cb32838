"""The lab's sources, kept by the instructor: ``python assignment/build.py`` makes the rest."""
