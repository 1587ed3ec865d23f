"""The Stripe API version every request of this project uses: the one dj-stripe 2.11 is built for.

Settings read it as STRIPE_API_VERSION; the fake Stripe answers in its shapes.
"""

STRIPE_API_VERSION = "2026-05-27.dahlia"
