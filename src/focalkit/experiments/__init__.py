"""Experiments: the demo of the post, the bench, their datasets, statistics and reports.

The only layer (with :mod:`focalkit.cli`) allowed to cross the others. Each experiment goes
compute -> result -> plot -> CLI, each step callable alone.
"""
