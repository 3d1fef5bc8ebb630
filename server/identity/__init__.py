"""Identity verification (身份核验): ID-number rules, private questions and the gate state machine, Qt-free."""
