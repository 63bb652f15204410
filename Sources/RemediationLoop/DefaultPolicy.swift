/// The policy in force until one is adopted: the loop's rule of thumb.
///
/// Deterministic failures get deterministic fixes; judgment-dependent ones get a person.
/// Rules are tried in order; the first that matches decides.
public enum DefaultPolicy {
    public static let text = """
    {
      "name": "default",
      "description": "Deterministic failures get deterministic fixes; judgment-dependent ones get a person.",
      "high_stakes": ["alerts*", "alerts/*", "alerts.*"],
      "rules": [
        {"name": "a guard that regressed is blocked until a person decides", "when": {"kind": ["regression"]}, "decide": "block"},
        {"name": "a fix re-targeted away from its diagnosis needs a person", "when": {"retargeted": true}, "decide": "review"},
        {"name": "high-stakes targets need a person", "when": {"high_stakes": true}, "decide": "review"},
        {"name": "lint fixes merge themselves", "when": {"kind": ["lint"]}, "decide": "auto-merge"},
        {"name": "type fixes of low blast radius merge themselves", "when": {"kind": ["type"], "blast_radius": ["low"]}, "decide": "auto-merge"},
        {"name": "other type fixes need review", "when": {"kind": ["type"]}, "decide": "review"},
        {"name": "reversible, low-risk skill refinements verified clean merge themselves",
         "when": {"lever": ["skill"], "reversible": true, "blast_radius": ["low"], "verified_clean": true}, "decide": "auto-merge"},
        {"name": "test failures need review", "when": {"kind": ["test"]}, "decide": "review"},
        {"name": "eval regressions (a case that passed before) need review", "when": {"kind": ["eval"], "passed_before": true}, "decide": "review"},
        {"name": "anything else needs review", "when": {}, "decide": "review"}
      ]
    }

    """

    public static let policy: AutonomyPolicy = try! AutonomyPolicy(text: text, name: "the default policy")

    /// Earlier defaults, which decisions recorded by earlier remedy versions cite (by SHA-256)
    /// in ledgers that adopted no policy: they stay valid when such a history is appended again.
    static let earlier: [AutonomyPolicy] = [try! AutonomyPolicy(text: version1, name: "the default policy, version 1")]

    /// The first default, without the re-targeted rule.
    static let version1 = """
    {
      "name": "default",
      "description": "Deterministic failures get deterministic fixes; judgment-dependent ones get a person.",
      "high_stakes": ["alerts*", "alerts/*", "alerts.*"],
      "rules": [
        {"name": "a guard that regressed is blocked until a person decides", "when": {"kind": ["regression"]}, "decide": "block"},
        {"name": "high-stakes targets need a person", "when": {"high_stakes": true}, "decide": "review"},
        {"name": "lint fixes merge themselves", "when": {"kind": ["lint"]}, "decide": "auto-merge"},
        {"name": "type fixes of low blast radius merge themselves", "when": {"kind": ["type"], "blast_radius": ["low"]}, "decide": "auto-merge"},
        {"name": "other type fixes need review", "when": {"kind": ["type"]}, "decide": "review"},
        {"name": "reversible, low-risk skill refinements verified clean merge themselves",
         "when": {"lever": ["skill"], "reversible": true, "blast_radius": ["low"], "verified_clean": true}, "decide": "auto-merge"},
        {"name": "test failures need review", "when": {"kind": ["test"]}, "decide": "review"},
        {"name": "eval regressions (a case that passed before) need review", "when": {"kind": ["eval"], "passed_before": true}, "decide": "review"},
        {"name": "anything else needs review", "when": {}, "decide": "review"}
      ]
    }

    """
}
