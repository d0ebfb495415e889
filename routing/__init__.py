"""The pure domain core of the 12345 router: plain typed Python, no framework, no I/O."""
