"""The demo city 云江市, loaded from the data files beside this module."""
