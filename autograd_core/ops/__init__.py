"""Differentiable primitives, one family per module. Each op is an `Op` subclass with
`forward` and `backward` on raw ndarrays, plus a lowercase function that applies it."""
