"""Test rigs: one per backend, each able to hand out fresh, isolated adapters on its server.

Modelled on cloudpathlib's rigs: the contract suite (and later the runtime and end-to-end
suites) ask a rig for settings or adapters and never know which backend they got.
"""
