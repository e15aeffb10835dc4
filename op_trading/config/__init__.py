"""Settings typed and validated from the wizard field definitions, the .env file and its writer."""
