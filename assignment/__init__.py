"""The lab's sources, kept by the instructor: ``python -m toolkit build`` makes the rest."""
