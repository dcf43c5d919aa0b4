package db

// Exported for the db_test package's tests.
var WholeAddress = wholeAddress
