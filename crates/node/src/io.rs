//! safetensors save and load, run off the JavaScript thread (they resolve promises).

use std::collections::HashMap;
use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi::{Env, Task};
use napi_derive::napi;
use seqtorch_core::io::safetensors;
use seqtorch_core::Tensor;

use crate::error::guard;
use crate::tensor::NativeTensor;

fn to_napi(e: seqtorch_core::Error) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, e.message)
}

pub struct SaveTask {
    tensors: Vec<(String, Tensor)>,
    metadata: Option<HashMap<String, String>>,
    path: PathBuf,
}

impl Task for SaveTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> Result<()> {
        let metadata = self.metadata.take();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            safetensors::save(&self.tensors, metadata, &self.path)
        }))
        .unwrap_or_else(|_| Err(seqtorch_core::Error::value("save(): internal error")))
        .map_err(to_napi)
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> Result<()> {
        Ok(())
    }
}

/// Writes `names[i] -> tensors[i]` to `path` atomically.
#[napi(ts_return_type = "Promise<void>")]
pub fn save_safetensors(
    env: Env,
    names: Vec<String>,
    tensors: Vec<&NativeTensor>,
    path: String,
    metadata_keys: Vec<String>,
    metadata_values: Vec<String>,
) -> Result<AsyncTask<SaveTask>> {
    let pairs = guard(&env, || {
        if metadata_keys.len() != metadata_values.len() {
            seqtorch_core::bail!(value, "save(): metadata keys and values differ in count");
        }
        if names.len() != tensors.len() {
            seqtorch_core::bail!(
                value,
                "save(): {} names for {} tensors",
                names.len(),
                tensors.len()
            );
        }
        names
            .into_iter()
            .zip(&tensors)
            .map(|(n, t)| Ok((n, t.get()?.clone())))
            .collect()
    })?;
    let metadata: HashMap<String, String> =
        metadata_keys.into_iter().zip(metadata_values).collect();
    Ok(AsyncTask::new(SaveTask {
        tensors: pairs,
        metadata: Some(metadata),
        path: PathBuf::from(path),
    }))
}

pub struct LoadTask {
    path: PathBuf,
}

/// Names and metadata keys travel as arrays (not object keys), so a name such as
/// `__proto__` stays data on the JavaScript side.
#[napi(object, object_from_js = false)]
pub struct LoadedCheckpoint {
    pub names: Vec<String>,
    pub tensors: Vec<NativeTensor>,
    pub metadata_keys: Vec<String>,
    pub metadata_values: Vec<String>,
}

impl Task for LoadTask {
    type Output = safetensors::Checkpoint;
    type JsValue = LoadedCheckpoint;

    fn compute(&mut self) -> Result<safetensors::Checkpoint> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            safetensors::load(&self.path)
        }))
        .unwrap_or_else(|_| Err(seqtorch_core::Error::value("load(): internal error")))
        .map_err(to_napi)
    }

    fn resolve(&mut self, env: Env, ck: safetensors::Checkpoint) -> Result<LoadedCheckpoint> {
        let mut names = Vec::with_capacity(ck.tensors.len());
        let mut tensors = Vec::with_capacity(ck.tensors.len());
        for (n, t) in ck.tensors {
            names.push(n);
            tensors.push(NativeTensor::wrap(&env, t)?);
        }
        let (metadata_keys, metadata_values) = ck.metadata.into_iter().unzip();
        Ok(LoadedCheckpoint {
            names,
            tensors,
            metadata_keys,
            metadata_values,
        })
    }
}

#[napi(ts_return_type = "Promise<LoadedCheckpoint>")]
pub fn load_safetensors(path: String) -> AsyncTask<LoadTask> {
    AsyncTask::new(LoadTask {
        path: PathBuf::from(path),
    })
}
