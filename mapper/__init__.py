"""mapper: declarative data mapping between JSON Schemas with JMESPath rules."""
