from jobintel.cli import main

main()
