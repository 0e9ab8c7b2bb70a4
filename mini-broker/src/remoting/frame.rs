//! RocketMQ remoting frames: `[total: u32 BE][type << 24 | header length: u32 BE][header]
//! [body]`, where `total` counts everything after itself and the header is the command's
//! fields as JSON (type 0, what the Java tools send) or in RocketMQ's binary layout (type 1).
//! An answer uses the request's header type.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use std::collections::HashMap;
use std::io;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Larger frames are refused and the connection closed (Apache's `frameMaxLength` default).
pub(crate) const MAX_FRAME: usize = 16 * 1024 * 1024;
/// The flag bit of an answer, and of a request that wants none.
const RESPONSE: i32 = 1;
const ONEWAY: i32 = 1 << 1;

/// How a frame's header is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum HeaderType {
    #[default]
    Json,
    Binary,
}

/// One request or answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Frame {
    pub(crate) code: i32,
    pub(crate) language: String,
    pub(crate) version: i32,
    pub(crate) opaque: i32,
    pub(crate) flag: i32,
    pub(crate) remark: Option<String>,
    pub(crate) fields: HashMap<String, String>,
    pub(crate) body: Bytes,
    pub(crate) header_type: HeaderType,
}

/// The JSON header, as the Java `RemotingCommand` serialises its fields.
#[derive(serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonHeader {
    code: i32,
    #[serde(default = "java")]
    language: String,
    #[serde(default)]
    version: i32,
    #[serde(default)]
    opaque: i32,
    #[serde(default)]
    flag: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    remark: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ext_fields: Option<HashMap<String, String>>,
    #[serde(default = "json_type", rename = "serializeTypeCurrentRPC")]
    serialize_type: String,
}

fn java() -> String {
    "JAVA".into()
}

fn json_type() -> String {
    "JSON".into()
}

/// The `LanguageCode` names by their binary-header numbers.
const LANGUAGES: [&str; 14] = [
    "JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP",
    "OMS", "RUST", "NODE_JS",
];

impl Frame {
    /// An answer to `request` with `code` and `remark`.
    pub(crate) fn answer(request: &Frame, code: i32, remark: impl Into<String>) -> Frame {
        Frame {
            code,
            language: "JAVA".into(),
            version: request.version,
            opaque: request.opaque,
            flag: RESPONSE,
            remark: Some(remark.into()).filter(|r: &String| !r.is_empty()),
            fields: HashMap::new(),
            body: Bytes::new(),
            header_type: request.header_type,
        }
    }

    pub(crate) fn with_body(mut self, body: impl Into<Bytes>) -> Frame {
        self.body = body.into();
        self
    }

    pub(crate) fn is_response(&self) -> bool {
        self.flag & RESPONSE != 0
    }

    pub(crate) fn is_oneway(&self) -> bool {
        self.flag & ONEWAY != 0
    }

    /// A header field; `None` when absent.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// The frame's bytes, length prefix included.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let header = match self.header_type {
            HeaderType::Json => self.json_header(),
            HeaderType::Binary => self.binary_header(),
        };
        let kind: u32 = match self.header_type {
            HeaderType::Json => 0,
            HeaderType::Binary => 1,
        };
        let mut out = BytesMut::with_capacity(8 + header.len() + self.body.len());
        let total = 4 + header.len() + self.body.len();
        out.put_u32(u32::try_from(total).unwrap_or(u32::MAX));
        out.put_u32((kind << 24) | (u32::try_from(header.len()).unwrap_or(0) & 0x00ff_ffff));
        out.put_slice(&header);
        out.put_slice(&self.body);
        out.to_vec()
    }

    fn json_header(&self) -> Vec<u8> {
        let header = JsonHeader {
            code: self.code,
            language: self.language.clone(),
            version: self.version,
            opaque: self.opaque,
            flag: self.flag,
            remark: self.remark.clone(),
            ext_fields: (!self.fields.is_empty()).then(|| self.fields.clone()),
            serialize_type: json_type(),
        };
        serde_json::to_vec(&header).unwrap_or_default()
    }

    fn binary_header(&self) -> Vec<u8> {
        let mut out = BytesMut::new();
        out.put_i16(i16::try_from(self.code).unwrap_or(i16::MAX));
        let language = LANGUAGES
            .iter()
            .position(|l| *l == self.language)
            .unwrap_or(0);
        out.put_u8(u8::try_from(language).unwrap_or(0));
        out.put_i16(i16::try_from(self.version).unwrap_or(0));
        out.put_i32(self.opaque);
        out.put_i32(self.flag);
        let remark = self.remark.as_deref().unwrap_or("").as_bytes();
        out.put_i32(i32::try_from(remark.len()).unwrap_or(0));
        out.put_slice(remark);
        let mut fields = BytesMut::new();
        for (key, value) in &self.fields {
            fields.put_i16(i16::try_from(key.len()).unwrap_or(0));
            fields.put_slice(key.as_bytes());
            fields.put_i32(i32::try_from(value.len()).unwrap_or(0));
            fields.put_slice(value.as_bytes());
        }
        out.put_i32(i32::try_from(fields.len()).unwrap_or(0));
        out.put_slice(&fields);
        out.to_vec()
    }

    /// Parses one frame's bytes after the length prefix.
    pub(crate) fn decode(mut frame: Bytes) -> Result<Frame, String> {
        if frame.len() < 4 {
            return Err("frame shorter than its header length".into());
        }
        let mark = frame.get_u32();
        let header_len = (mark & 0x00ff_ffff) as usize;
        if header_len > frame.len() {
            return Err(format!(
                "header length {header_len} runs past the frame ({} bytes)",
                frame.len()
            ));
        }
        let header = frame.split_to(header_len);
        let mut parsed = match mark >> 24 {
            0 => decode_json(&header)?,
            1 => decode_binary(header)?,
            other => return Err(format!("unknown header type {other}")),
        };
        parsed.body = frame;
        Ok(parsed)
    }
}

fn decode_json(header: &[u8]) -> Result<Frame, String> {
    let h: JsonHeader =
        serde_json::from_slice(header).map_err(|e| format!("malformed JSON header: {e}"))?;
    Ok(Frame {
        code: h.code,
        language: h.language,
        version: h.version,
        opaque: h.opaque,
        flag: h.flag,
        remark: h.remark,
        fields: h.ext_fields.unwrap_or_default(),
        body: Bytes::new(),
        header_type: HeaderType::Json,
    })
}

fn decode_binary(mut h: Bytes) -> Result<Frame, String> {
    let short = || "binary header cut short".to_string();
    let take = |h: &mut Bytes, n: usize| -> Result<Bytes, String> {
        if h.remaining() < n {
            return Err(short());
        }
        Ok(h.split_to(n))
    };
    if h.remaining() < 13 {
        return Err(short());
    }
    let code = i32::from(h.get_i16());
    let language = LANGUAGES
        .get(usize::from(h.get_u8()))
        .unwrap_or(&"OTHER")
        .to_string();
    let version = i32::from(h.get_i16());
    let opaque = h.get_i32();
    let flag = h.get_i32();
    let length = |h: &mut Bytes| -> Result<usize, String> {
        if h.remaining() < 4 {
            return Err(short());
        }
        usize::try_from(h.get_i32()).map_err(|_| "negative length in binary header".to_string())
    };
    let remark_len = length(&mut h)?;
    let remark = take(&mut h, remark_len)?;
    let remark = (!remark.is_empty()).then(|| String::from_utf8_lossy(&remark).into_owned());
    let fields_len = length(&mut h)?;
    let mut raw = take(&mut h, fields_len)?;
    let mut fields = HashMap::new();
    while raw.has_remaining() {
        if raw.remaining() < 2 {
            return Err(short());
        }
        let key_len = usize::try_from(raw.get_i16()).map_err(|_| short())?;
        let key = take(&mut raw, key_len)?;
        let value_len = length(&mut raw)?;
        let value = take(&mut raw, value_len)?;
        fields.insert(
            String::from_utf8_lossy(&key).into_owned(),
            String::from_utf8_lossy(&value).into_owned(),
        );
    }
    Ok(Frame {
        code,
        language,
        version,
        opaque,
        flag,
        remark,
        fields,
        body: Bytes::new(),
        header_type: HeaderType::Binary,
    })
}

/// Reads one frame; `Ok(None)` at a clean end of stream.
pub(crate) async fn read<R: AsyncRead + Unpin>(io: &mut R) -> io::Result<Option<Frame>> {
    let mut prefix = [0u8; 4];
    match io.read_exact(&mut prefix).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let total = u32::from_be_bytes(prefix) as usize;
    if total > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {total} bytes is over the {MAX_FRAME}-byte limit"),
        ));
    }
    // Grown as bytes arrive, so a length prefix alone reserves nothing.
    let mut rest = Vec::new();
    (&mut *io).take(total as u64).read_to_end(&mut rest).await?;
    if rest.len() < total {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the frame ended after {} of {total} bytes", rest.len()),
        ));
    }
    Frame::decode(Bytes::from(rest))
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(header_type: HeaderType) -> Frame {
        Frame {
            code: 17,
            language: "JAVA".into(),
            version: 475,
            opaque: 42,
            flag: 0,
            remark: None,
            fields: HashMap::from([("topic".to_string(), "orders".to_string())]),
            body: Bytes::from_static(b"{}"),
            header_type,
        }
    }

    #[test]
    fn both_header_types_round_trip() {
        for kind in [HeaderType::Json, HeaderType::Binary] {
            let frame = sample(kind);
            let bytes = frame.encode();
            let total = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
            assert_eq!(total, bytes.len() - 4);
            assert_eq!(Frame::decode(Bytes::from(bytes[4..].to_vec())), Ok(frame));
        }
    }

    #[test]
    fn a_java_header_decodes() {
        let header = br#"{"code":105,"extFields":{"topic":"t"},"flag":0,"language":"JAVA","opaque":3,"serializeTypeCurrentRPC":"JSON","version":475}"#;
        let mut bytes = (header.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(header);
        let frame = Frame::decode(Bytes::from(bytes)).expect("decodes");
        assert_eq!((frame.code, frame.opaque), (105, 3));
        assert_eq!(frame.field("topic"), Some("t"));
    }

    #[test]
    fn truncated_and_hostile_headers_are_errors() {
        for bad in [
            vec![0, 0, 0],
            vec![0, 0, 0, 50, b'{'],
            vec![7, 0, 0, 0],
            vec![1, 0, 0, 5, 0, 1, 0, 0, 0],
            vec![0, 0, 0, 1, b'x'],
        ] {
            assert!(Frame::decode(Bytes::from(bad)).is_err());
        }
    }
}
