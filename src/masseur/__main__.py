"""The ``masseur`` program (also ``python -m masseur``): the command line, started with the
garbage collector held off (see :mod:`masseur.collector`) before anything else is imported."""


def main() -> None:
    from masseur import collector

    collector.hold()
    from masseur.cli import run

    run()


if __name__ == "__main__":
    main()
