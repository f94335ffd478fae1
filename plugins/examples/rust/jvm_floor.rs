//! Recommendation policy: never recommend less memory than a floor for JVM workloads.
//!
//! A JVM sizes its heap from the container limit and fails hard below a minimum, so a
//! usage-based recommendation of, say, 90Mi for a Spring service is a crash loop waiting.
//!
//! Items are `trimtab recommend --format json` recommendations (memoryRequestBytes,
//! memoryLimitBytes, namespace, controller, container, ...), optionally with "image" and
//! "labels" added by the caller.
//!
//! settings: {"memoryFloorBytes":268435456,
//!            "markers":["openjdk","temurin","corretto","jre","jdk","java","jvm"]}
//! An item whose "image" or "container" contains a marker, or whose labels carry
//! "runtime":"jvm", gets memoryRequestBytes and memoryLimitBytes raised to the floor (where
//! below it) and an "annotations" entry saying so. Every other item passes through unchanged.
//!
//! Build: rustc --target wasm32-unknown-unknown --crate-type cdylib -O -C panic=abort \
//!          -C link-arg=--max-memory=67108864 jvm_floor.rs

use std::alloc::{alloc, dealloc, Layout};

#[no_mangle]
pub extern "C" fn trimtab_abi_v1() {}

#[no_mangle]
pub extern "C" fn trimtab_alloc(size: u32) -> u32 {
    match Layout::from_size_align(size.max(1) as usize, 8) {
        Ok(layout) => unsafe { alloc(layout) as u32 },
        Err(_) => 0,
    }
}

#[no_mangle]
pub extern "C" fn trimtab_free(ptr: u32, size: u32) {
    if let Ok(layout) = Layout::from_size_align(size.max(1) as usize, 8) {
        if ptr != 0 {
            unsafe { dealloc(ptr as *mut u8, layout) }
        }
    }
}

#[link(wasm_import_module = "trimtab")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: i32);
}

fn log(level: i32, msg: &str) {
    unsafe { host_log(level, msg.as_ptr(), msg.len() as i32) }
}

// ---- a small JSON value type: numbers keep their text so unchanged values round-trip exactly.
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String), // raw contents between the quotes, escapes kept
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<(), &'static str> {
        self.ws();
        if self.i < self.s.len() && self.s[self.i] == c {
            self.i += 1;
            Ok(())
        } else {
            Err("unexpected character")
        }
    }
    fn string(&mut self) -> Result<String, &'static str> {
        self.eat(b'"')?;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != b'"' {
            if self.s[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        if self.i >= self.s.len() {
            return Err("unterminated string");
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| "invalid UTF-8")?;
        self.i += 1;
        Ok(text.to_string())
    }
    fn value(&mut self) -> Result<Json, &'static str> {
        self.ws();
        match self.s.get(self.i) {
            None => Err("unexpected end"),
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(members));
                }
                loop {
                    let key = self.string()?;
                    self.eat(b':')?;
                    members.push((key, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(members));
                        }
                        _ => return Err("expected , or }"),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err("expected , or ]"),
                    }
                }
            }
            Some(_) => {
                let start = self.i;
                while self.i < self.s.len() && !matches!(self.s[self.i], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"null" => Ok(Json::Null),
                    b"true" => Ok(Json::Bool(true)),
                    b"false" => Ok(Json::Bool(false)),
                    t if !t.is_empty() => Ok(Json::Num(String::from_utf8_lossy(t).into_owned())),
                    _ => Err("empty value"),
                }
            }
        }
    }
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        match self {
            Json::Obj(m) => m.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        if let Json::Str(s) = self { Some(s) } else { None }
    }
    fn num(&self) -> Option<f64> {
        if let Json::Num(s) = self { s.parse().ok() } else { None }
    }
    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => out.push_str(n),
            Json::Str(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(k);
                    out.push_str("\":");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn finish(text: String) -> u64 {
    // The host frees the response with trimtab_free(ptr, len) once it has read it (the instance
    // serves later calls), so it must come from trimtab_alloc's layout.
    let len = text.len();
    let ptr = trimtab_alloc(len as u32);
    if ptr == 0 {
        return 0;
    }
    unsafe { std::ptr::copy_nonoverlapping(text.as_ptr(), ptr as *mut u8, len) };
    ((ptr as u64) << 32) | len as u64
}

fn error(msg: &str) -> u64 {
    finish(format!("{{\"ok\":false,\"error\":\"{}\",\"code\":2}}", msg))
}

fn is_jvm(item: &Json, markers: &[String]) -> bool {
    for field in ["image", "container"] {
        if let Some(text) = item.get(field).and_then(Json::str) {
            let text = text.to_ascii_lowercase();
            if markers.iter().any(|m| text.contains(m.as_str())) {
                return true;
            }
        }
    }
    item.get("labels").and_then(|l| l.get("runtime")).and_then(Json::str) == Some("jvm")
}

#[no_mangle]
pub extern "C" fn trimtab_recommendation_policy(ptr: u32, len: u32) -> u64 {
    let input = unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) };
    let request = match (Parser { s: input, i: 0 }).value() {
        Ok(v) => v,
        Err(e) => return error(e),
    };
    let settings = request.get("settings");
    let floor = settings.and_then(|s| s.get("memoryFloorBytes")).and_then(Json::num).unwrap_or(268435456.0);
    let markers: Vec<String> = match settings.and_then(|s| s.get("markers")) {
        Some(Json::Arr(a)) => a.iter().filter_map(Json::str).map(|s| s.to_ascii_lowercase()).collect(),
        _ => ["openjdk", "temurin", "corretto", "jre", "jdk", "java", "jvm"].iter().map(|s| s.to_string()).collect(),
    };
    let mut items = match request {
        Json::Obj(members) => match members.into_iter().find(|(k, _)| k == "items") {
            Some((_, Json::Arr(items))) => items,
            _ => return error("request has no items array"),
        },
        _ => return error("request is not an object"),
    };
    let mut raised = 0;
    for item in items.iter_mut() {
        if !is_jvm(item, &markers) {
            continue;
        }
        let mut raised_from = Vec::new();
        for field in ["memoryRequestBytes", "memoryLimitBytes"] {
            if let Some(value) = item.get_mut(field) {
                if let Some(current) = value.num() {
                    if current < floor {
                        raised_from.push(format!("{} {}", field, current as u64));
                        *value = Json::Num(format!("{}", floor as u64));
                    }
                }
            }
        }
        if raised_from.is_empty() {
            continue;
        }
        let note = Json::Str(format!("jvm memory floor {}: raised {}", floor as u64, raised_from.join(", ")));
        match item.get_mut("annotations") {
            Some(Json::Arr(a)) => a.push(note),
            _ => {
                if let Json::Obj(m) = item {
                    m.retain(|(k, _)| k != "annotations");
                    m.push(("annotations".to_string(), Json::Arr(vec![note])));
                }
            }
        }
        raised += 1;
    }
    if raised > 0 {
        log(1, &format!("raised {} JVM memory recommendations to the floor", raised));
    }
    let mut out = String::with_capacity(len as usize + 64);
    out.push_str("{\"ok\":true,\"items\":");
    Json::Arr(items).write(&mut out);
    out.push('}');
    finish(out)
}
