"""Adapters for training frameworks. Each imports its framework, so import the one you use:
``lrpol.integrations.torch``, ``lrpol.integrations.ignite`` or ``lrpol.integrations.keras``.
``import lrpol`` imports none of them."""
