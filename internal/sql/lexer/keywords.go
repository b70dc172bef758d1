package lexer

// reserved holds ksqlDB's keywords that are not in the grammar's nonReserved
// rule: an unquoted word in this set can never be an identifier.
var reserved = map[string]bool{}

func init() {
	for _, w := range []string{
		"SELECT", "FROM", "AS", "ALL", "DISTINCT", "WHERE", "WITHIN", "WINDOW", "GROUP", "BY",
		"HAVING", "LIMIT", "AT", "OR", "AND", "IN", "NOT", "EXISTS", "BETWEEN", "LIKE", "IS",
		"NULL", "TRUE", "FALSE", "MILLISECOND", "YEARS", "MONTHS", "DAYS", "HOURS", "MINUTES",
		"SECONDS", "MILLISECONDS", "TUMBLING", "HOPPING", "SIZE", "ADVANCE", "RETENTION", "CASE",
		"WHEN", "THEN", "ELSE", "END", "JOIN", "FULL", "OUTER", "INNER", "LEFT", "RIGHT", "ON",
		"WITH", "VALUES", "CREATE", "TABLE", "TOPIC", "STREAM", "STREAMS", "INSERT", "DELETE",
		"INTO", "DESCRIBE", "EXTENDED", "PRINT", "CAST", "LIST", "TOPICS", "QUERY", "QUERIES",
		"TERMINATE", "LOAD", "DROP", "TO", "RENAME", "SAMPLE", "EXPORT", "CATALOG",
		"PROPERTIES", "BEGINNING", "UNSET", "RUN", "SCRIPT", "DECIMAL", "CONNECTOR",
		"CONNECTORS", "NAMESPACE", "MATERIALIZED", "VIEW",
	} {
		reserved[w] = true
	}
}

// IsReserved reports whether the upper-case word w is a reserved keyword.
func IsReserved(w string) bool { return reserved[w] }
