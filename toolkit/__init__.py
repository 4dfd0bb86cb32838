"""The instructor's tools: reference and variant generation (torch, the answer key), batch
grading, the class report and the builds of the two other deliverables. Nothing here ships
to students or into the grading image."""
