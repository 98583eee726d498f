from masseur.cli import main

main()
