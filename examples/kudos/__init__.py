"""Kudos: a customer thanks the staff for a delivered order, and staff screens show it.

A team's feature as ``docs/extending.md`` builds it: a blueprint
(:mod:`examples.kudos.blueprint`) over a service of its own
(:mod:`examples.kudos.service`) that uses the app's order service and
notification publisher; its tests use :mod:`quart_app.testing`.
"""
