import Events
import LedgerStore

extension LoopSteps {
    /// Adopts a policy: its full text and hash become an event.
    ///
    /// - Throws: ``LoopError`` naming the rule and field of an invalid policy.
    @discardableResult
    public func adoptPolicy(text: String, name: String, by actor: String?) throws -> PolicyAdopted {
        let policy = try AutonomyPolicy(text: text, name: name)
        return try record(PolicyAdopted(policySHA256: policy.sha256, text: text, format: .json, by: actor),
                          on: LoopStreams.policy, .policyAdopted, actor: actor)
    }

    /// Adopts a skill map: its text, hash and rules become an event, and the read models that
    /// count by skill attribute all history by it. Adopting the map already in force records
    /// nothing and returns nil (so CI can adopt the repository's map on every run).
    ///
    /// - Throws: ``EventError`` (`.invalidSkillMap`) naming a line that is not `glob  skill`,
    ///   ``LoopError`` for a map with no rules.
    @discardableResult
    public func adoptSkillMap(text: String, name: String, by actor: String?) throws -> SkillMapAdopted? {
        try adoptSkillMap(try SkillMapAdopted(text: text, name: name, by: actor))
    }

    /// ``adoptSkillMap(text:name:by:)`` for a map already read (``SkillMapAdopted/init(text:name:by:)``).
    @discardableResult
    public func adoptSkillMap(_ adopted: SkillMapAdopted) throws -> SkillMapAdopted? {
        try ledger.write { writer in
            if try SkillMap.adopted(in: writer)?.mapSHA256 == adopted.mapSHA256 { return nil }
            try Self.record(writer, try LoopStateLoader(writer), LoopStreams.skillMap, .skillMapAdopted, adopted, actor: adopted.by)
            return adopted
        }
    }

    /// Declares a suite's golden dataset: one case key a line.
    @discardableResult
    public func declareDataset(suite: String, version: String, text: String, by actor: String?) throws -> DatasetDeclared {
        let cases = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !cases.isEmpty else { throw LoopError(.invalidArgument, "the dataset lists no cases (one case key a line)") }
        let stream = try LoopStreams.dataset(suite: suite)
        let unique = Array(Set(cases)).sorted()
        let digest = try RunIngester.sha256(of: Array((unique.joined(separator: "\n") + "\n").utf8))
        // Parts of about 256 KiB keep every event far below the payload limit.
        var parts: [[String]] = [[]]
        var size = 0
        for key in unique {
            if size + key.utf8.count + 4 > 256 << 10 && !parts[parts.count - 1].isEmpty {
                parts.append([])
                size = 0
            }
            parts[parts.count - 1].append(key)
            size += key.utf8.count + 4
        }
        return try ledger.write { writer in
            let loader = try LoopStateLoader(writer)
            for (index, cases) in parts.enumerated() {
                let part = DatasetDeclared(suite: suite, version: version, cases: cases, sha256: digest,
                                           part: parts.count > 1 ? index + 1 : nil, parts: parts.count > 1 ? parts.count : nil)
                try Self.record(writer, loader, stream, .datasetDeclared, part, actor: actor)
            }
            return DatasetDeclared(suite: suite, version: version, cases: unique, sha256: digest)
        }
    }
}

private extension Substring {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed().drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" }).reversed())
    }
}
