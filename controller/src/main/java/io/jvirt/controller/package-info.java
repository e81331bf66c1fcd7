package io.jvirt.controller;
