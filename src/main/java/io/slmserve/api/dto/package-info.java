/** Request and response bodies, named as the OpenAI and Hugging Face TEI/TGI APIs name them. */
package io.slmserve.api.dto;
