"""Facility electrical design: the power chain from grid to rack, its redundancy and availability.

Sizes the chain and cooling plant from IT MW, evaluates redundancy topologies by reliability block
diagrams, and sizes the buffer that keeps a training load's grid-side ramp within a limit.
"""
