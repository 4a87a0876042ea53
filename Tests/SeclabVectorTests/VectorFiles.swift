import Foundation
import SeclabPrimitives

/// Loads the vector files that live beside this source file (`vectors/…`), by path, so the
/// repository tests itself without resource bundles.
enum VectorFiles {
    /// The `vectors` folder of this test target.
    static let directory: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("vectors")

    /// The parsed JSON of `vectors/<relativePath>`.
    static func json(_ relativePath: String) throws -> Any {
        let data = try Data(contentsOf: directory.appendingPathComponent(relativePath))
        return try JSONSerialization.jsonObject(with: data)
    }

    /// The parsed JSON of a file at an absolute path.
    static func json(atPath path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Small accessors for the untyped JSON of vector files; a missing or mistyped field is a
/// test failure with the field's name, never a crash.
struct VectorError: Error, CustomStringConvertible {
    let description: String
}

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) throws -> String {
        guard let value = self[key] as? String else { throw VectorError(description: "field '\(key)' missing or not a string") }
        return value
    }
    func hex(_ key: String) throws -> [UInt8] {
        do { return try Hex.decode(try string(key)) } catch let error as DecodingError {
            throw VectorError(description: "field '\(key)': \(error)")
        }
    }
    func int(_ key: String) throws -> Int {
        guard let value = self[key] as? Int else { throw VectorError(description: "field '\(key)' missing or not an integer") }
        return value
    }
    func object(_ key: String) throws -> [String: Any] {
        guard let value = self[key] as? [String: Any] else { throw VectorError(description: "field '\(key)' missing or not an object") }
        return value
    }
    func objects(_ key: String) throws -> [[String: Any]] {
        guard let value = self[key] as? [[String: Any]] else { throw VectorError(description: "field '\(key)' missing or not a list of objects") }
        return value
    }
}
