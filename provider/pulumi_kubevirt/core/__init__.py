"""Pure primitives every layer shares: the one path syntax, quantities, problems, stack labels."""
