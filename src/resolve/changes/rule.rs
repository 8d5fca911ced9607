//! The rules a finding names: one table of the codes `versions.json`,
//! `cairn diff` and the `version-bump-too-small` message write for each kind
//! of change SEMVER.md classifies.

use crate::util::vocabulary;

vocabulary! {
    /// The rule behind a [`super::Finding`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ChangeRule {
        // Inputs, which users write: narrowing one breaks them.
        InputRemoved = "input-removed",
        InputAddedRequired = "input-added-required",
        InputAddedOptional = "input-added-optional",
        InputNowRequired = "input-now-required",
        InputNowOptional = "input-now-optional",
        InputTypeWidened = "input-type-widened",
        InputTypeChanged = "input-type-changed",
        InputDefaultChanged = "input-default-changed",
        InputDefaultRemoved = "input-default-removed",
        InputDefaultAdded = "input-default-added",
        InputPatternRemoved = "input-pattern-removed",
        InputPatternAdded = "input-pattern-added",
        InputPatternChanged = "input-pattern-changed",
        InputMinRaised = "input-min-raised",
        InputMinLowered = "input-min-lowered",
        InputMaxLowered = "input-max-lowered",
        InputMaxRaised = "input-max-raised",
        InputEnumAdded = "input-enum-added",
        InputEnumRemoved = "input-enum-removed",
        InputEnumValueRemoved = "input-enum-value-removed",
        InputEnumValueAdded = "input-enum-value-added",
        InputDescriptionChanged = "input-description-changed",
        // Outputs, which users read: removing or changing one breaks them.
        OutputRemoved = "output-removed",
        OutputAdded = "output-added",
        OutputTypeChanged = "output-type-changed",
        OutputDescriptionChanged = "output-description-changed",
        // Engines.
        EngineRemoved = "engine-removed",
        EngineAdded = "engine-added",
        EngineModuleSourceChanged = "engine-module-source-changed",
        EngineModuleVersionChanged = "engine-module-version-changed",
        EngineModuleRefChanged = "engine-module-ref-changed",
        // The definition as a whole.
        DefinitionDeprecated = "definition-deprecated",
        DocumentationChanged = "documentation-changed",
    }
}
