// Entry point of the `membrane` command; the commands live in their own files.
MembraneCommand.main()
