from sofa_cli.cli import main

main()
