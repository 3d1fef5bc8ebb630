"""The sandbox bank: a self-contained bank on generated SQLite data, for development, demos and tests."""

from server.bank.sandbox.bank import SandboxBank, SandboxFaults
from server.bank.sandbox.resources import DemoCustomer, demo_customer, load_demo_customers, portrait_path

__all__ = ["DemoCustomer", "SandboxBank", "SandboxFaults", "demo_customer", "load_demo_customers", "portrait_path"]
