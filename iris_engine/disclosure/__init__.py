"""Personal data leaving its case: who it may go to, and every read of it recorded."""
