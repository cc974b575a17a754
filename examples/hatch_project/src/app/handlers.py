"""Guards and actions of the 'order' machine (src/app/machines/order.yaml).

`pystator-gen scaffold` adds a stub here for each handler the YAML gains.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class OrderHandlers:
    """Implements OrderGuards and OrderActions."""

    # Orders this large are cancelled by a person, not by the customer.
    CANCEL_LIMIT = 1000.0

    def __init__(self, stock: int) -> None:
        self.stock = stock
        self.log: list[str] = []

    def can_cancel(self, ctx: Mapping[str, Any], /) -> bool:
        """Guard in src/app/machines/order.yaml, used by:

        - transition cancel (placed, paid -> cancelled)
        """
        return float(ctx["amount"]) < self.CANCEL_LIMIT

    def in_stock(self, ctx: Mapping[str, Any], /) -> bool:
        """Guard of transition ship (paid -> shipped) in src/app/machines/order.yaml."""
        return self.stock > 0

    def notify_shipped(self, ctx: Mapping[str, Any], /) -> None:
        """Action of state shipped (on_enter) in src/app/machines/order.yaml."""
        tracking = ctx.get("tracking") or "no tracking number"
        self.log.append(f"told the customer that {ctx['order_id']} shipped ({tracking})")

    def refund(self, ctx: Mapping[str, Any], /) -> None:
        """Action of state cancelled (on_enter) in src/app/machines/order.yaml."""
        if "paid_amount" in ctx:
            self.log.append(f"refunded {ctx['paid_amount']:.2f} for {ctx['order_id']}")

    def reserve_stock(self, ctx: Mapping[str, Any], /) -> None:
        """Action in src/app/machines/order.yaml, used by:

        - transition ship (paid -> shipped)
        """
        self.stock -= 1
        self.log.append(f"reserved one item for {ctx['order_id']}, {self.stock} left")

    def send_receipt(self, ctx: Mapping[str, Any], /) -> None:
        """Action of state paid (on_enter) in src/app/machines/order.yaml."""
        self.log.append(f"sent a receipt for {ctx['paid_amount']:.2f} to {ctx['order_id']}")
