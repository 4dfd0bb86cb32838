"""Benchmarks (``make bench``) and the simulated Gradescope image they share with the tests."""
