//! What an API entity's definition is, read: its format and text, the
//! parsed reference (parsed once per entity and kept with it), and where a
//! line of the definition is in the catalog's files.

use std::sync::Arc;

use super::Entity;
use crate::contracts::{parse, Format, Parsed};
use crate::diagnostics::FilePosition;

impl Entity {
    /// An API entity's definition read as its format (parsed once per entity,
    /// then kept with it), with the format; `None` when it has no definition
    /// in a format cairn reads.
    pub fn api_reference(&self) -> Option<(Format, &Parsed)> {
        let (format, text) = self.api_definition()?;
        let parsed = self.reference.get_or_init(|| Arc::new(parse(format, text)));
        Some((format, parsed))
    }

    /// The format and definition text of an API entity, when it has both.
    pub fn api_definition(&self) -> Option<(Format, &str)> {
        let text = self.definition.as_deref()?;
        Some((Format::of(self.spec_type.as_deref(), text)?, text))
    }

    /// Where line `line`, column `column` of an entity's definition text is:
    /// in the file a `$text` placeholder read it from, or — for a definition
    /// written inline as a block scalar (`definition: |`) — in the entity's
    /// own file, below the key; else at the definition itself.
    pub fn definition_location(&self, line: u32, column: u32) -> FilePosition {
        const POINTER: &str = "/spec/definition";
        let mut location = self.location(POINTER);
        if let Some(file) = self.text_file(POINTER) {
            location.file = file.to_string();
            (location.line, location.column) = (line, column);
            return location;
        }
        // A block scalar starts at its first character and spans the text's
        // lines; a placeholder the build replaced (a bundle) spans two.
        let node = self.locate(POINTER);
        let lines = node.as_str().map_or(0, |t| t.lines().count()) as u32;
        if lines > 1 && node.end.line >= node.start.line + lines - 1 {
            location.line = node.start.line + line - 1;
            location.column = node.start.column + column - 1;
        }
        location
    }
}
