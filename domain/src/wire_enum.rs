//! A closed set whose members travel by name (a GraphQL enum value, a text column):
//! the enum, its names, and parsing them back, declared once per set.

/// `wire_enum! { /// doc
///     pub enum Name { Member => "MEMBER", … } }` declares the enum with `ALL`,
/// `as_str` and `parse`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$doc:meta])* $member:ident => $wire:literal,)*
        }
    ) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$doc])* $member,)*
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$member,)*];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$member => $wire,)*
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw {
                    $($wire => Some($name::$member),)*
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use wire_enum;
