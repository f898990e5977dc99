"""baas package."""
