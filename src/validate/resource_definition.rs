//! Placeholder until the ResourceDefinition rules land.
use crate::diagnostics::Diagnostic;
use crate::model::Entity;
pub fn check(_: &Entity, _: &mut Vec<Diagnostic>) {}
