//! The registry of diagnostic codes. A code is part of cairn's public
//! interface: it appears in CI annotations, SARIF rule ids and `policies:` in
//! `cairn.yaml`, so a code is never renamed or reused. Each code has a default
//! severity, a one-line summary and a long explanation for `cairn explain`
//! (the explanations live in `explain/CODE.md` beside this file).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Severity;

macro_rules! codes {
    ($( $variant:ident = $name:literal, $severity:ident, $summary:literal; )*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as written in output and in `cairn.yaml`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            pub fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// One line saying what the code means.
            pub fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }

            /// The long explanation printed by `cairn explain`.
            pub fn explanation(self) -> &'static str {
                match self { $( Code::$variant => include_str!(concat!("explain/", $name, ".md")), )* }
            }
        }
    };
}

codes! {
    // Reading files.
    IoError = "io-error", Error, "a file or directory could not be read";
    NonUtf8 = "non-utf8", Error, "a file is not valid UTF-8";
    FileTooLarge = "file-too-large", Error, "a file is larger than cairn reads";
    SymlinkLoop = "symlink-loop", Error, "a symbolic link points back at one of its own parents";
    SymlinkOutsideRoot = "symlink-outside-root", Warning, "a symbolic link leads outside the catalog root, so cairn does not follow it";
    NotRegularFile = "not-regular-file", Warning, "a path named like a catalog file is a pipe, socket or device, so cairn does not read it";
    EmptyFile = "empty-file", Warning, "a YAML file holds no document";
    // YAML.
    YamlSyntax = "yaml-syntax", Error, "the file is not well-formed YAML";
    YamlDuplicateKey = "yaml-duplicate-key", Error, "a mapping has the same key twice";
    YamlAliasLimit = "yaml-alias-limit", Error, "YAML aliases expand to too many nodes";
    YamlDepthLimit = "yaml-depth-limit", Error, "YAML is nested too deeply";
    YamlUnsupported = "yaml-unsupported", Error, "a YAML feature cairn does not accept (complex keys, undefined aliases)";
    NonFiniteNumber = "non-finite-number", Error, "a value is `.nan`, `.inf` or a number too large for JSON";
    // Git sources.
    SourceStale = "source-stale", Warning, "a git source could not be fetched; its last fetched commit was used";
    SourceUnreachable = "source-unreachable", Error, "a git source could not be read at all";
    SourcePathMissing = "source-path-missing", Error, "a git source has no directory at its `path`";
    // cairn.yaml.
    ConfigUnknownKey = "config-unknown-key", Error, "cairn.yaml has a key cairn does not know";
    ConfigInvalid = "config-invalid", Error, "a value in cairn.yaml has the wrong type or form";
    // Entities.
    UnknownKind = "unknown-kind", Error, "a document of a known API group has a kind cairn does not know";
    UnknownApiVersion = "unknown-api-version", Error, "a document of a known API group has an unknown version";
    SchemaViolation = "schema-violation", Error, "a document does not match the JSON Schema of its kind";
    InvalidName = "invalid-name", Error, "an entity name breaks Backstage's naming rules";
    InvalidNamespace = "invalid-namespace", Error, "a namespace breaks Backstage's naming rules";
    InvalidLabel = "invalid-label", Error, "a label key or value breaks Backstage's rules";
    InvalidAnnotation = "invalid-annotation", Error, "an annotation key breaks Backstage's rules";
    InvalidTag = "invalid-tag", Error, "a tag breaks Backstage's rules";
    InvalidField = "invalid-field", Error, "a first-class field (tier, repo…) has a value cairn cannot use";
    UnsafeLink = "unsafe-link", Warning, "a link's URL is not http(s) or mailto, so the portal shows it as text";
    DuplicateEntity = "duplicate-entity", Error, "two documents define the same entity";
    DuplicateEntityIdentical = "duplicate-entity-identical", Warning, "a file repeats an entity's document exactly; the copy is ignored";
    // References.
    InvalidRef = "invalid-ref", Error, "an entity reference is malformed";
    UnresolvedRef = "unresolved-ref", Error, "an entity reference names no entity in the catalog";
    RefWrongKind = "ref-wrong-kind", Error, "an entity reference points at an entity of the wrong kind";
    GroupCycle = "group-cycle", Error, "groups are their own ancestors through spec.parent";
    LocationTargetMissing = "location-target-missing", Error, "a Location target does not exist";
    PathOutsideRoot = "path-outside-root", Error, "a Location or placeholder target leads outside the catalog root";
    // Placeholders.
    PlaceholderTargetMissing = "placeholder-target-missing", Error, "a `$text`, `$json`, `$yaml`, `$openapi` or `$asyncapi` placeholder names a file that does not exist";
    PlaceholderInvalid = "placeholder-invalid", Error, "a placeholder's value or target cannot be used";
    PlaceholderUrl = "placeholder-url", Warning, "a placeholder names a URL, which a build does not fetch";
    LocationTargetUnsupported = "location-target-unsupported", Warning, "a Location target cairn does not follow (a URL)";
    // ResourceDefinitions.
    VersionFormat = "version-format", Error, "a ResourceDefinition version is not strict SemVer in a string";
    DuplicateVersion = "duplicate-version", Error, "two files define the same version of a ResourceDefinition";
    InvalidPattern = "invalid-pattern", Error, "a validation pattern is not a valid regular expression";
    InvalidBounds = "invalid-bounds", Error, "a validation has min greater than max, or bounds on a non-numeric input";
    InvalidDefault = "invalid-default", Error, "an input's default does not satisfy its own type and validation";
    InputNameCase = "input-name-case", Error, "an input or output name is not snake_case";
    DuplicateInput = "duplicate-input", Error, "two inputs or two outputs share a name";
    UnsupportedEngineConfig = "unsupported-engine-config", Warning, "engine_configs names an engine missing from supported_engines";
    EngineModuleNotPinned = "engine-module-not-pinned", Warning, "an engine's module_version is a range, not one exact version";
    VersionBumpTooSmall = "version-bump-too-small", Error, "a ResourceDefinition version's bump is smaller than its changes";
    VersionNotIncreasing = "version-not-increasing", Error, "a new version is not higher than every published version of its major line";
    PublishedVersionChanged = "published-version-changed", Error, "a published ResourceDefinition version was edited";
    PublishedVersionDeleted = "published-version-deleted", Error, "a published ResourceDefinition version was deleted";
    VersionReused = "version-reused", Error, "a version that was published before comes back with other content";
    // ResourceClaims.
    ClaimUnknownResource = "claim-unknown-resource", Error, "a ResourceClaim names a ResourceDefinition that is not in the catalog";
    ClaimVersionInvalid = "claim-version-invalid", Error, "a ResourceClaim's `spec.version` is neither a version nor a semver requirement";
    ClaimUnknownVersion = "claim-unknown-version", Error, "no version of the claimed ResourceDefinition matches the claim's `spec.version`";
    ClaimVersionYanked = "claim-version-yanked", Error, "a ResourceClaim pins a yanked version";
    ClaimVersionDeprecated = "claim-version-deprecated", Warning, "a ResourceClaim resolves to a deprecated version";
    ClaimInputMissing = "claim-input-missing", Error, "a ResourceClaim leaves out a required input";
    ClaimInputUnknown = "claim-input-unknown", Error, "a ResourceClaim sets an input its version does not have";
    ClaimInputType = "claim-input-type", Error, "a ResourceClaim's input value is not of the input's type";
    ClaimInputEnum = "claim-input-enum", Error, "a ResourceClaim's input value is not one of the allowed values";
    ClaimInputRange = "claim-input-range", Error, "a ResourceClaim's input value is below the input's min or above its max";
    ClaimInputPattern = "claim-input-pattern", Error, "a ResourceClaim's input value does not match the input's pattern";
    ClaimUpgradeImpact = "claim-upgrade-impact", Warning, "a new ResourceDefinition version: which claims of older versions could move to it as they are";
    ClaimUpgradeBlocked = "claim-upgrade-blocked", Warning, "a ResourceClaim could not move to a new version of its definition as it is";
    // API contracts.
    ApiDefinitionInvalid = "api-definition-invalid", Warning, "an API's definition cannot be read as its format (OpenAPI, AsyncAPI, GraphQL, protobuf)";
    ApiBreakingChange = "api-breaking-change", Error, "a change to an API's definition breaks its consumers";
    // Discovered facts.
    FactsInvalid = "facts-invalid", Error, "a facts file is not valid JSON or does not match the facts schema";
    FactsPartial = "facts-partial", Warning, "a facts snapshot is partial: its scan could not read everything";
    OwnershipDrift = "ownership-drift", Warning, "discovery infers another owner than the declared spec.owner";
    // Routing.
    AliasConflict = "alias-conflict", Warning, "two services claim the same alias, so an alert carrying it has no one owner";
    // Governance.
    FactsStale = "facts-stale", Warning, "a facts snapshot is older than `discovery.max_age_days`";
    // Policies (severity configurable in cairn.yaml).
    Tier1NeedsOwner = "tier1-needs-owner", Error, "a tier1 service has no owner";
    Tier1NeedsRunbook = "tier1-needs-runbook", Error, "a tier1 service has no runbook link";
    Tier1NeedsOncall = "tier1-needs-oncall", Error, "a tier1 service has no on-call annotation";
    // Governance: custom rules and guards (cairn.yaml `rules:`, `guards:`).
    RuleFailed = "rule-failed", Warning, "an entity breaks a rule from `rules:` in cairn.yaml";
    RuleError = "rule-error", Warning, "a rule's CEL expression failed when evaluated on an entity";
    MassRemoval = "mass-removal", Error, "a change removes more of the catalog than `guards.max_removed_percent` allows";
}

impl Code {
    /// Looks a code up by its written name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// Whether `policies:` in cairn.yaml may change this code's severity.
    /// Problems that make the catalog unreadable or ambiguous may not be
    /// silenced.
    pub fn is_configurable(self) -> bool {
        matches!(
            self,
            Code::Tier1NeedsOwner
                | Code::Tier1NeedsRunbook
                | Code::Tier1NeedsOncall
                | Code::EmptyFile
                | Code::LocationTargetUnsupported
                | Code::UnsupportedEngineConfig
                | Code::EngineModuleNotPinned
                | Code::UnsafeLink
                | Code::VersionBumpTooSmall
                | Code::VersionNotIncreasing
                | Code::FactsPartial
                | Code::OwnershipDrift
                | Code::DuplicateEntityIdentical
                | Code::UnresolvedRef
                | Code::LocationTargetMissing
                | Code::PlaceholderUrl
                | Code::ClaimVersionYanked
                | Code::ClaimVersionDeprecated
                | Code::ClaimUpgradeImpact
                | Code::ClaimUpgradeBlocked
                | Code::ApiDefinitionInvalid
                | Code::ApiBreakingChange
                | Code::AliasConflict
                | Code::FactsStale
                | Code::RuleError
        )
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A code read back as written (`check`'s cache of diagnostics).
impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        let name = String::deserialize(deserializer)?;
        Code::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown diagnostic code `{name}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_explanation_that_names_it() {
        for code in Code::ALL {
            let text = code.explanation();
            assert!(
                text.starts_with(&format!("# {}", code.as_str())),
                "explain/{}.md must start with `# {}`",
                code.as_str(),
                code.as_str()
            );
            assert!(
                !text.contains("TODO") && text.len() > 200,
                "explain/{}.md is a real explanation",
                code.as_str()
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(code.as_str()), Some(*code));
        }
    }
}
