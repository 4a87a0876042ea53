import SeclabStore

extension MetricsRegistry {
    /// The database layer's deadline counters in the exposition format.
    static func render(_ database: DatabaseCounters.Snapshot) -> String {
        var out = ""
        func counter(_ name: String, _ help: String, _ series: [(labels: String, value: Int)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
            for (labels, value) in series { out += labels.isEmpty ? "\(name) \(value)\n" : "\(name){\(labels)} \(value)\n" }
        }
        counter("seclab_db_timeouts_total", "Database statements and connection checkouts that missed their deadline (SECLAB_DB_TIMEOUT_MS).",
                [("kind=\"checkout\"", database.checkoutTimeouts), ("kind=\"statement\"", database.statementTimeouts)])
        counter("seclab_db_timeouts_on_closed_connection_total",
                "Statement timeouts whose connection had already closed (a query the driver dropped).",
                [("", database.timeoutsOnClosedConnections)])
        counter("seclab_db_closed_before_statement_total", "Statements refused because their connection closed after the checkout.",
                [("", database.closedBeforeStatement)])
        counter("seclab_db_discarded_connections_total", "Connections closed and dropped from the pool instead of reused.",
                [("", database.discardedConnections)])
        return out
    }
}
