"""The document store: DynamoDB's data model and semantics on pluggable backends."""
