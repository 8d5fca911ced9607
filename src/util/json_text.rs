//! `#[serde(with = "crate::util::json_text")]`: a field holding JSON values
//! stored as JSON text, for binary formats that cannot read a
//! `serde_json::Value` back (they do not describe their own types, and
//! `Value` asks the format what comes next). Any `T` that serde_json reads
//! and writes works: `Json`, `Option<Json>`, `Vec<(String, Json)>`…

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    let text = serde_json::to_string(value).map_err(S::Error::custom)?;
    serializer.serialize_str(&text)
}

pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    serde_json::from_str(&text).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Holder {
        #[serde(with = "super")]
        values: Vec<(String, Json)>,
    }

    #[test]
    fn json_values_survive_a_binary_format() {
        let holder = Holder {
            values: vec![
                ("a".into(), json!({"z": 1, "b": [1.5, null, true], "s": "é\n"})),
                ("b".into(), json!(0.1)),
                ("c".into(), json!(u64::MAX)),
            ],
        };
        let bytes = postcard::to_stdvec(&holder).unwrap();
        assert_eq!(postcard::from_bytes::<Holder>(&bytes).unwrap(), holder);
    }
}
