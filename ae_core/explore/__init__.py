"""Layer 3, looking at what a model learned: 2D/3D projections of codes (``projection``),
sampling, interpolation and traversal (``sampling``), results shipped with a model (``views``).
Imports system, data and models."""
