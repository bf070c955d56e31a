"""Running a Pulumi program (under Pulumi's mock runtime) to learn the objects it would apply."""
