"""Adapters for training frameworks. Each imports its framework, so import the one you use:
``lrpol.integrations.torch``, ``lrpol.integrations.ignite``, ``lrpol.integrations.keras`` or
``lrpol.integrations.optax``.
``import lrpol`` imports none of them."""
