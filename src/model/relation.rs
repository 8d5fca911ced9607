//! The kinds of relation between entities, as Backstage names them: one
//! table of names, inverses and the headings pages show them under.

/// A relation kind. Declared in the order of their names, so relations
/// sort the same whether by kind or by name (outputs list them sorted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelationKind {
    ApiConsumedBy,
    ApiProvidedBy,
    ChildOf,
    ConsumesApi,
    DependencyOf,
    DependsOn,
    HasMember,
    HasPart,
    MemberOf,
    OwnedBy,
    OwnerOf,
    ParentOf,
    PartOf,
    ProvidesApi,
}

impl RelationKind {
    /// Every kind, in order.
    pub const ALL: [RelationKind; 14] = [
        RelationKind::ApiConsumedBy,
        RelationKind::ApiProvidedBy,
        RelationKind::ChildOf,
        RelationKind::ConsumesApi,
        RelationKind::DependencyOf,
        RelationKind::DependsOn,
        RelationKind::HasMember,
        RelationKind::HasPart,
        RelationKind::MemberOf,
        RelationKind::OwnedBy,
        RelationKind::OwnerOf,
        RelationKind::ParentOf,
        RelationKind::PartOf,
        RelationKind::ProvidesApi,
    ];

    /// The name Backstage writes in `relations[].type`.
    pub fn as_str(self) -> &'static str {
        self.row().0
    }

    /// The same relation seen from its target.
    pub fn inverse(self) -> RelationKind {
        self.row().1
    }

    /// The heading an entity page lists these relations under, for the
    /// kinds shown as plain lists of links.
    pub fn label(self) -> Option<&'static str> {
        self.row().2
    }

    /// The one table: name, inverse, page heading.
    fn row(self) -> (&'static str, RelationKind, Option<&'static str>) {
        use RelationKind::*;
        match self {
            ApiConsumedBy => ("apiConsumedBy", ConsumesApi, Some("Consumed by")),
            ApiProvidedBy => ("apiProvidedBy", ProvidesApi, Some("Provided by")),
            ChildOf => ("childOf", ParentOf, None),
            ConsumesApi => ("consumesApi", ApiConsumedBy, None),
            DependencyOf => ("dependencyOf", DependsOn, Some("Depended on by")),
            DependsOn => ("dependsOn", DependencyOf, None),
            HasMember => ("hasMember", MemberOf, None),
            HasPart => ("hasPart", PartOf, Some("Parts")),
            MemberOf => ("memberOf", HasMember, Some("Member of")),
            OwnedBy => ("ownedBy", OwnerOf, None),
            OwnerOf => ("ownerOf", OwnedBy, Some("Owns")),
            ParentOf => ("parentOf", ChildOf, None),
            PartOf => ("partOf", HasPart, Some("Part of")),
            ProvidesApi => ("providesApi", ApiProvidedBy, Some("Provides APIs")),
        }
    }
}

crate::util::written_as_str!(RelationKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_sort_as_their_names_and_inverses_pair_up() {
        let names: Vec<&str> = RelationKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "declaration order is name order");
        for kind in RelationKind::ALL {
            assert_eq!(kind.inverse().inverse(), kind, "{kind}");
            assert_ne!(kind.inverse(), kind, "{kind}");
        }
    }
}
